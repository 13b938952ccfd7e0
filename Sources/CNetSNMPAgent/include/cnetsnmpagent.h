/*
 * CNetSNMPAgent: a thin C layer over Net-SNMP's agent library (libnetsnmpagent) in AgentX
 * subagent mode.
 *
 * Swift sees only this header: plain values, a lookup callback and a poll call. The
 * Net-SNMP headers stay in this target (they clash with libcurl's in one Swift module).
 * Which objects exist and what they hold is decided by the Swift caller; nothing here
 * chooses anything. Net-SNMP's agent library keeps global, unlocked state: the set-up calls
 * (init, register) and then the subagent's loop (connect, poll) run on one thread at a time;
 * only `cnetsnmp_agent_connections` may be called from anywhere.
 */
#ifndef VACATAIRE_CNETSNMPAGENT_H
#define VACATAIRE_CNETSNMPAGENT_H

#include <stddef.h>

typedef unsigned long cnetsnmp_agent_oid;

/* Value types (ASN.1 tags as Net-SNMP names them). */
enum {
    CNETSNMP_AGENT_INTEGER = 0x02,
    CNETSNMP_AGENT_OCTET_STRING = 0x04,
    CNETSNMP_AGENT_COUNTER32 = 0x41,
    CNETSNMP_AGENT_GAUGE32 = 0x42,
    CNETSNMP_AGENT_TIMETICKS = 0x43
};

/* What a lookup answers, in buffers the shim owns: the instance's name (at most
 * `name_capacity` sub-identifiers) and its value (at most `value_capacity` octets; for the
 * integer types one C `long`). */
typedef struct {
    cnetsnmp_agent_oid *name;
    size_t name_capacity;
    size_t name_len;
    unsigned char type;
    unsigned char *value;
    size_t value_capacity;
    size_t value_len;
} cnetsnmp_agent_answer;

/* Finds the instance `name` (exact != 0, a get) or the first instance after it (a
 * get-next); fills `answer` and returns 1, or returns 0 when there is none. */
typedef int (*cnetsnmp_agent_lookup)(void *context, const cnetsnmp_agent_oid *name, size_t name_len, int exact,
                                     cnetsnmp_agent_answer *answer);

/* Once per process, after the library's own set-up (init_snmp): makes this process an
 * AgentX subagent of the master at `socket` ("unix:/PATH" or "tcp:HOST:PORT"), pinging it
 * every `ping_interval_seconds` and, once it is lost, trying to reconnect at that pace.
 * Nothing connects before `cnetsnmp_agent_connect`. Returns 0, or -1 with the reason in
 * `error`. */
int cnetsnmp_agent_init(const char *app_name, const char *socket, int ping_interval_seconds, char *error,
                        size_t error_len);

/* Registers the read-only subtree `root`, answered by `lookup` with `context`. Returns 0,
 * or -1 with the reason in `error`. */
int cnetsnmp_agent_register(const char *name, const cnetsnmp_agent_oid *root, size_t root_len,
                            cnetsnmp_agent_lookup lookup, void *context, char *error, size_t error_len);

/* The first attempt to connect to the master (it may block for the AgentX timeout when the
 * master does not answer); later attempts run on the library's alarms, within
 * `cnetsnmp_agent_poll`. */
void cnetsnmp_agent_connect(void);

/* Waits at most `max_wait_us` for the master's requests, the library's next alarm or
 * `wake_fd` (-1: none) becoming readable, then handles what came and the alarms due.
 * Returns 1 when `wake_fd` is readable, 0 otherwise, -1 when select failed (errno). */
int cnetsnmp_agent_poll(int wake_fd, long max_wait_us);

/* How many times the session to the master opened and closed so far (any thread). */
void cnetsnmp_agent_connections(unsigned long *opened, unsigned long *closed);

#endif
