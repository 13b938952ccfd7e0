/*
 * CNetSNMP: Net-SNMP's headers plus wrappers for what is a macro or a struct field that
 * Swift cannot reach comfortably. The caller decides every value. No policy here.
 */
#ifndef VACATAIRE_CNETSNMP_SHIM_H
#define VACATAIRE_CNETSNMP_SHIM_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

static const int cnetsnmp_version_2c = SNMP_VERSION_2c;
static const int cnetsnmp_version_3 = SNMP_VERSION_3;
static const int cnetsnmp_msg_trap2 = SNMP_MSG_TRAP2;
static const int cnetsnmp_msg_inform = SNMP_MSG_INFORM;
static const unsigned char cnetsnmp_type_timeticks = ASN_TIMETICKS;
static const unsigned char cnetsnmp_type_objid = ASN_OBJECT_ID;
static const unsigned char cnetsnmp_type_octet_str = ASN_OCTET_STR;
static const unsigned char cnetsnmp_type_integer = ASN_INTEGER;
static const unsigned char cnetsnmp_type_unsigned = ASN_UNSIGNED;
static const int cnetsnmp_stat_success = STAT_SUCCESS;
static const int cnetsnmp_stat_timeout = STAT_TIMEOUT;

/* Library defaults, set before init_snmp(): no config files, no MIB loading, our own
 * persistent directory. */
static inline void cnetsnmp_set_library_defaults(const char *persistent_dir) {
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_CONFIG_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 0);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, persistent_dir);
    netsnmp_set_mib_directory("");
}

/* The session's error as text: the caller frees the returned string with free(). */
static inline char *cnetsnmp_session_error(void *single_session) {
    int libErr = 0, sysErr = 0;
    char *text = NULL;
    snmp_sess_error(single_session, &libErr, &sysErr, &text);
    return text;
}

#endif
