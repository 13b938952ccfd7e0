#include "cnetsnmp.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <stdlib.h>
#include <string.h>

static void copy_error(char *error, size_t error_len, const char *text) {
    if (error == NULL || error_len == 0) return;
    snprintf(error, error_len, "%s", text ? text : "unknown error");
}

static void copy_session_error(void *session, char *error, size_t error_len) {
    int sys_err = 0, snmp_err = 0;
    char *text = NULL;
    snmp_sess_error(session, &sys_err, &snmp_err, &text);
    copy_error(error, error_len, text);
    free(text);
}

void cnetsnmp_library_init(const char *app_name, const char *persistent_dir,
                           const unsigned char *engine_id, size_t engine_id_len) {
    if (engine_id != NULL && engine_id_len > 0) set_exact_engineID(engine_id, engine_id_len);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_CONFIG_LOAD, 1);
    netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, persistent_dir);
    netsnmp_set_mib_directory("");
    /* With no log handler at all, Net-SNMP falls back to stderr (e.g. "Created directory:
       .../cert_indexes" on first use). Errors reach Swift through the session's error
       string instead, so the library's own log is swallowed. */
    snmp_disable_log();
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_NONE, LOG_DEBUG);
    init_snmp(app_name);
}

void *cnetsnmp_open_v2c(const char *peer, const unsigned char *community, size_t community_len,
                        long timeout_us, int retries, char *error, size_t error_len) {
    netsnmp_session session;
    snmp_sess_init(&session);
    session.version = SNMP_VERSION_2c;
    session.peername = (char *)peer;
    session.community = (u_char *)community;
    session.community_len = community_len;
    session.timeout = timeout_us;
    session.retries = retries;
    void *handle = snmp_sess_open(&session);
    if (handle == NULL) {
        copy_error(error, error_len, snmp_api_errstring(session.s_snmp_errno ? session.s_snmp_errno : snmp_errno));
    }
    return handle;
}

void cnetsnmp_close(void *session) {
    if (session) snmp_sess_close(session);
}

void *cnetsnmp_pdu_create(int kind) {
    return snmp_pdu_create(kind == CNETSNMP_PDU_INFORM ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
}

void cnetsnmp_pdu_free(void *pdu) {
    if (pdu) snmp_free_pdu((netsnmp_pdu *)pdu);
}

int cnetsnmp_pdu_add(void *pdu, const cnetsnmp_oid *name, size_t name_len, unsigned char type,
                     const void *value, size_t value_len) {
    netsnmp_variable_list *added =
        snmp_pdu_add_variable((netsnmp_pdu *)pdu, (const oid *)name, name_len, type, value, value_len);
    return added == NULL ? -1 : 0;
}

int cnetsnmp_send(void *session, void *pdu, char *error, size_t error_len) {
    if (snmp_sess_send(session, (netsnmp_pdu *)pdu) == 0) {
        copy_session_error(session, error, error_len);
        snmp_free_pdu((netsnmp_pdu *)pdu);
        return -1;
    }
    return 0;
}

int cnetsnmp_send_acknowledged(void *session, void *pdu, char *error, size_t error_len) {
    netsnmp_pdu *response = NULL;
    int status = snmp_sess_synch_response(session, (netsnmp_pdu *)pdu, &response);
    if (response) snmp_free_pdu(response);
    if (status == STAT_SUCCESS) return 0;
    if (status == STAT_TIMEOUT) {
        copy_error(error, error_len, "no acknowledgement before the timeout");
        return 1;
    }
    /* SNMPv3 discovers the receiver's engine first; its timeout comes back as an error. */
    int sys_err = 0, snmp_err = 0;
    char *text = NULL;
    snmp_sess_error(session, &sys_err, &snmp_err, &text);
    copy_error(error, error_len, text);
    free(text);
    return snmp_err == SNMPERR_TIMEOUT ? 1 : -1;
}

static const oid *auth_oid(int protocol, size_t *len) {
    switch (protocol) {
    case CNETSNMP_AUTH_SHA256: *len = OID_LENGTH(usmHMAC192SHA256AuthProtocol); return usmHMAC192SHA256AuthProtocol;
    case CNETSNMP_AUTH_SHA512: *len = OID_LENGTH(usmHMAC384SHA512AuthProtocol); return usmHMAC384SHA512AuthProtocol;
    default: *len = OID_LENGTH(usmHMACSHA1AuthProtocol); return usmHMACSHA1AuthProtocol;
    }
}

static const oid *priv_oid(int protocol, size_t *len) {
    switch (protocol) {
    case CNETSNMP_PRIV_AES256: *len = OID_LENGTH(usmAES256PrivProtocol); return usmAES256PrivProtocol;
    default: *len = OID_LENGTH(usmAESPrivProtocol); return usmAESPrivProtocol;
    }
}

void *cnetsnmp_open_v3(const char *peer, const cnetsnmp_usm *usm, long timeout_us, int retries,
                       int *failure, char *error, size_t error_len) {
    netsnmp_session session;
    snmp_sess_init(&session);
    *failure = CNETSNMP_FAIL_OTHER;
    session.version = SNMP_VERSION_3;
    session.peername = (char *)peer;
    session.timeout = timeout_us;
    session.retries = retries;
    session.securityName = (char *)usm->user;
    session.securityNameLen = strlen(usm->user);
    session.securityModel = SNMP_SEC_MODEL_USM;
    session.securityLevel = usm->security_level == CNETSNMP_SEC_AUTH_PRIV ? SNMP_SEC_LEVEL_AUTHPRIV
                                                                         : SNMP_SEC_LEVEL_AUTHNOPRIV;
    session.securityAuthProto = (oid *)auth_oid(usm->auth_protocol, &session.securityAuthProtoLen);
    session.securityAuthKeyLen = USM_AUTH_KU_LEN;
    if (generate_Ku(session.securityAuthProto, session.securityAuthProtoLen, usm->auth_password,
                    usm->auth_password_len, session.securityAuthKey, &session.securityAuthKeyLen) != SNMPERR_SUCCESS) {
        copy_error(error, error_len, "cannot derive the authentication key");
        return NULL;
    }
    if (session.securityLevel == SNMP_SEC_LEVEL_AUTHPRIV) {
        session.securityPrivProto = (oid *)priv_oid(usm->priv_protocol, &session.securityPrivProtoLen);
        session.securityPrivKeyLen = USM_PRIV_KU_LEN;
        if (generate_Ku(session.securityAuthProto, session.securityAuthProtoLen, usm->priv_password,
                        usm->priv_password_len, session.securityPrivKey, &session.securityPrivKeyLen) != SNMPERR_SUCCESS) {
            copy_error(error, error_len, "cannot derive the privacy key");
            return NULL;
        }
    }
    if (usm->engine_id_len > 0) {
        session.securityEngineID = (u_char *)usm->engine_id;
        session.securityEngineIDLen = usm->engine_id_len;
        session.contextEngineID = (u_char *)usm->engine_id;
        session.contextEngineIDLen = usm->engine_id_len;
        session.engineBoots = usm->engine_boots;
        session.engineTime = usm->engine_time;
        /* Our engine id is Net-SNMP's local engine (set_exact_engineID). For a trap the library
           takes msgAuthoritativeEngineBoots/Time from its engine-time cache, which init_snmp
           filled with its own count (1, as it keeps no configuration): put ours there (RFC
           3414: boots persisted and counted at each start, time since then), or every trap
           says boots 1 and a receiver that saw a later engine time drops it. */
        set_enginetime(usm->engine_id, (u_int)usm->engine_id_len, (u_int)usm->engine_boots,
                       (u_int)usm->engine_time, TRUE);
    }
    void *handle = snmp_sess_open(&session);
    if (handle == NULL) {
        int code = session.s_snmp_errno ? session.s_snmp_errno : snmp_errno;
        if (code == SNMPERR_TIMEOUT) *failure = CNETSNMP_FAIL_TIMEOUT;
        copy_error(error, error_len, snmp_api_errstring(code));
    }
    return handle;
}
