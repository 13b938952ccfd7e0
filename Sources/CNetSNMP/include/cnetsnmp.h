/*
 * CNetSNMP: a thin C layer over Net-SNMP's single-session API.
 *
 * Net-SNMP is macros, structs and a global library state; its headers also clash with
 * libcurl's in one Swift module (both redefine glibc's fd_set). So Swift sees only this
 * header: opaque handles and plain values. Every decision (versions, OIDs, values,
 * retries) is made by the Swift caller; nothing here chooses anything.
 */
#ifndef VACATAIRE_CNETSNMP_H
#define VACATAIRE_CNETSNMP_H

#include <stddef.h>

typedef unsigned long cnetsnmp_oid;

/* Varbind value types (ASN.1 tags as Net-SNMP names them). */
enum {
    CNETSNMP_TYPE_INTEGER = 0x02,
    CNETSNMP_TYPE_OCTET_STRING = 0x04,
    CNETSNMP_TYPE_OBJECT_ID = 0x06,
    CNETSNMP_TYPE_TIMETICKS = 0x43
};

/* PDU kinds. */
enum {
    CNETSNMP_PDU_TRAP2 = 0,
    CNETSNMP_PDU_INFORM = 1
};

/* USM security levels and protocols (the caller picks; the shim maps them to Net-SNMP's OIDs). */
enum {
    CNETSNMP_SEC_AUTH_NOPRIV = 2,
    CNETSNMP_SEC_AUTH_PRIV = 3
};
enum {
    CNETSNMP_AUTH_SHA1 = 1,
    CNETSNMP_AUTH_SHA256 = 2,
    CNETSNMP_AUTH_SHA512 = 3
};
enum {
    CNETSNMP_PRIV_NONE = 0,
    CNETSNMP_PRIV_AES128 = 1,
    CNETSNMP_PRIV_AES256 = 2
};

/* Why opening a session or sending failed, beyond the text. */
enum {
    CNETSNMP_FAIL_OTHER = -1,
    CNETSNMP_FAIL_TIMEOUT = 1
};

/* Library set-up, once per process: no configuration files, no MIB loading, log silenced,
 * persistent files in `persistent_dir`, this agent's engine id (`engine_id_len` octets). */
void cnetsnmp_library_init(const char *app_name, const char *persistent_dir,
                           const unsigned char *engine_id, size_t engine_id_len);

/* The SNMPv3 user of a session. Passwords are bytes, not C strings, and are not kept. */
typedef struct {
    const char *user;
    int security_level;
    int auth_protocol;
    const unsigned char *auth_password;
    size_t auth_password_len;
    int priv_protocol;
    const unsigned char *priv_password;
    size_t priv_password_len;
    /* The authoritative engine: ours for traps (with our boots and time), empty (0) for
     * informs, whose receiver's engine id is discovered when the session opens. */
    const unsigned char *engine_id;
    size_t engine_id_len;
    unsigned long engine_boots;
    unsigned long engine_time;
} cnetsnmp_usm;

/* Opens an SNMPv3 session to `peer`. Returns NULL on failure, with the reason in `error`
 * and in `*failure` CNETSNMP_FAIL_TIMEOUT when engine discovery went unanswered. */
void *cnetsnmp_open_v3(const char *peer, const cnetsnmp_usm *usm, long timeout_us, int retries,
                       int *failure, char *error, size_t error_len);

/* Opens an SNMPv2c session to `peer` ("udp:HOST:PORT"). Returns NULL and writes the reason
 * to `error` on failure. */
void *cnetsnmp_open_v2c(const char *peer, const unsigned char *community, size_t community_len,
                        long timeout_us, int retries, char *error, size_t error_len);

void cnetsnmp_close(void *session);

/* A new PDU of `kind`; NULL if out of memory. */
void *cnetsnmp_pdu_create(int kind);

void cnetsnmp_pdu_free(void *pdu);

/* Appends a varbind; returns 0 on success. */
int cnetsnmp_pdu_add(void *pdu, const cnetsnmp_oid *name, size_t name_len, unsigned char type,
                     const void *value, size_t value_len);

/* Sends a trap (no answer expected) and frees `pdu`. Returns 0 on success. */
int cnetsnmp_send(void *session, void *pdu, char *error, size_t error_len);

/* Sends a request that the receiver acknowledges (an inform), waits for the answer within
 * the session's timeout and retries, and frees `pdu`. Returns 0 when acknowledged, 1 on
 * timeout (of the inform or of SNMPv3 engine discovery), -1 on another error (reason in `error`). */
int cnetsnmp_send_acknowledged(void *session, void *pdu, char *error, size_t error_len);

#endif
