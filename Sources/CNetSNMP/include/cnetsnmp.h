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

/* Library set-up, once per process: no configuration files, no MIB loading, log silenced,
 * persistent files in `persistent_dir`. */
void cnetsnmp_library_init(const char *app_name, const char *persistent_dir);

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
 * timeout, -1 on another error (reason in `error`). */
int cnetsnmp_send_acknowledged(void *session, void *pdu, char *error, size_t error_len);

#endif
