#include "cnetsnmpagent.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The first attempt to reach the master, which init_snmp makes when the agent library was set
   up before it; libnetsnmpagent exports it without a header. */
extern int subagent_startup(int major, int minor, void *server_arg, void *client_arg);

typedef struct {
    cnetsnmp_agent_lookup lookup;
    void *context;
} registration;

/* NETSNMP_DS_AGENT_ROLE's value for a subagent (snmpd.h's SUB_AGENT, not installed). */
static const int subagent_role = 1;
static int initialised = 0;
static atomic_ulong sessions_opened = 0;
static atomic_ulong sessions_closed = 0;

static void copy_error(char *error, size_t error_len, const char *text) {
    if (error == NULL || error_len == 0) return;
    snprintf(error, error_len, "%s", text ? text : "unknown error");
}

/* The library announces a session to the master with INDEX_START and its loss (a closed
   socket, an unanswered ping) with INDEX_STOP. */
static int session_started(int major, int minor, void *server_arg, void *client_arg) {
    (void)major; (void)minor; (void)server_arg; (void)client_arg;
    atomic_fetch_add(&sessions_opened, 1);
    return SNMPERR_SUCCESS;
}

static int session_stopped(int major, int minor, void *server_arg, void *client_arg) {
    (void)major; (void)minor; (void)server_arg; (void)client_arg;
    atomic_fetch_add(&sessions_closed, 1);
    return SNMPERR_SUCCESS;
}

int cnetsnmp_agent_init(const char *app_name, const char *socket, int ping_interval_seconds, char *error,
                        size_t error_len) {
    if (initialised) {
        copy_error(error, error_len, "the AgentX subagent is already set up in this process");
        return -1;
    }
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, subagent_role);
    if (init_agent(app_name) != 0) {
        copy_error(error, error_len, "Net-SNMP's agent library could not start an AgentX subagent");
        return -1;
    }
    /* After init_agent, which sets the AgentX defaults (a ping every 15 s). */
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, socket);
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, ping_interval_seconds);
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, session_started, NULL);
    snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, session_stopped, NULL);
    initialised = 1;
    return 0;
}

static int answer_requests(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                           netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests) {
    (void)reginfo;
    registration *owner = (registration *)handler->myvoid;
    oid name[MAX_OID_LEN];
    unsigned char value[1024];
    for (netsnmp_request_info *request = requests; request != NULL; request = request->next) {
        if (request->processed) continue;
        netsnmp_variable_list *variable = request->requestvb;
        cnetsnmp_agent_answer answer = {name, MAX_OID_LEN, 0, 0, value, sizeof value, 0};
        switch (reqinfo->mode) {
        case MODE_GET:
            if (owner->lookup(owner->context, variable->name, variable->name_length, 1, &answer)) {
                snmp_set_var_typed_value(variable, answer.type, answer.value, answer.value_len);
            } else {
                netsnmp_set_request_error(reqinfo, request, SNMP_NOSUCHINSTANCE);
            }
            break;
        case MODE_GETNEXT:
            /* Nothing after: the varbind stays empty and the agent goes on past this subtree. */
            if (owner->lookup(owner->context, variable->name, variable->name_length, 0, &answer)) {
                snmp_set_var_objid(variable, answer.name, answer.name_len);
                snmp_set_var_typed_value(variable, answer.type, answer.value, answer.value_len);
            }
            break;
        default:
            netsnmp_set_request_error(reqinfo, request, SNMP_ERR_NOTWRITABLE);
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

int cnetsnmp_agent_register(const char *name, const cnetsnmp_agent_oid *root, size_t root_len,
                            cnetsnmp_agent_lookup lookup, void *context, char *error, size_t error_len) {
    registration *owner = calloc(1, sizeof *owner);
    if (owner == NULL) {
        copy_error(error, error_len, "out of memory");
        return -1;
    }
    owner->lookup = lookup;
    owner->context = context;
    netsnmp_mib_handler *handler = netsnmp_create_handler(name, answer_requests);
    if (handler == NULL) {
        free(owner);
        copy_error(error, error_len, "Net-SNMP could not create the handler");
        return -1;
    }
    handler->myvoid = owner;
    netsnmp_handler_registration *reg =
        netsnmp_handler_registration_create(name, handler, (const oid *)root, root_len, HANDLER_CAN_RONLY);
    if (reg == NULL) {
        copy_error(error, error_len, "Net-SNMP could not create the registration");
        return -1;
    }
    int status = netsnmp_register_handler(reg);
    if (status != MIB_REGISTERED_OK) {
        snprintf(error, error_len, "Net-SNMP refused to register the subtree (code %d)", status);
        return -1;
    }
    return 0;
}

void cnetsnmp_agent_connect(void) {
    subagent_startup(0, 0, NULL, NULL);
}

int cnetsnmp_agent_poll(int wake_fd, long max_wait_us) {
    netsnmp_large_fd_set readfds;
    netsnmp_large_fd_set_init(&readfds, FD_SETSIZE);
    int numfds = 0;
    int block = 0;
    struct timeval timeout = {max_wait_us / 1000000, max_wait_us % 1000000};
    /* Shortens `timeout` to the sessions' next retransmission and the next alarm (the
       ping, or the next attempt to reconnect). */
    snmp_select_info2(&numfds, &readfds, &timeout, &block);
    if (timeout.tv_sec * 1000000L + timeout.tv_usec > max_wait_us) {
        timeout.tv_sec = max_wait_us / 1000000;
        timeout.tv_usec = max_wait_us % 1000000;
    }
    if (wake_fd >= 0) {
        NETSNMP_LARGE_FD_SET(wake_fd, &readfds);
        if (wake_fd + 1 > numfds) numfds = wake_fd + 1;
    }
    int count = netsnmp_large_fd_set_select(numfds, &readfds, NULL, NULL, &timeout);
    int woken = 0;
    if (count > 0) {
        woken = wake_fd >= 0 && NETSNMP_LARGE_FD_ISSET(wake_fd, &readfds);
        snmp_read2(&readfds);
    } else if (count == 0) {
        snmp_timeout();
    }
    int saved = errno;
    run_alarms();
    netsnmp_check_outstanding_agent_requests();
    netsnmp_large_fd_set_cleanup(&readfds);
    if (count < 0 && saved != EINTR) {
        errno = saved;
        return -1;
    }
    return woken;
}

void cnetsnmp_agent_connections(unsigned long *opened, unsigned long *closed) {
    *opened = atomic_load(&sessions_opened);
    *closed = atomic_load(&sessions_closed);
}
