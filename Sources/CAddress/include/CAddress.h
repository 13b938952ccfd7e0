/*
 * CAddress: the Linux headers a floating address needs, made usable from Swift:
 * rtnetlink (add, remove and list addresses), packet sockets, ARP and ICMPv6 neighbour
 * discovery. Netlink's NLMSG_*, RTA_* and IFA_* macros are function-like, which Swift
 * cannot import: each one used has a static inline twin below, named after it.
 * No policy here: which messages to send and what an answer means is decided in Swift.
 */
#ifndef VACATAIRE_CADDRESS_H
#define VACATAIRE_CADDRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>

/* NLMSG_ALIGN(len) */
static inline uint32_t caddress_nlmsg_align(uint32_t len) {
    return NLMSG_ALIGN(len);
}

/* NLMSG_HDRLEN */
static inline uint32_t caddress_nlmsg_hdrlen(void) {
    return (uint32_t)NLMSG_HDRLEN;
}

/* NLMSG_LENGTH(len) */
static inline uint32_t caddress_nlmsg_length(uint32_t len) {
    return (uint32_t)NLMSG_LENGTH(len);
}

/* NLMSG_DATA(nlh) */
static inline void *caddress_nlmsg_data(struct nlmsghdr *nlh) {
    return NLMSG_DATA(nlh);
}

/* NLMSG_OK(nlh, len) */
static inline int caddress_nlmsg_ok(const struct nlmsghdr *nlh, int len) {
    return NLMSG_OK(nlh, len);
}

/* NLMSG_NEXT(nlh, len): the next message; `*len` is decreased by the one skipped. */
static inline struct nlmsghdr *caddress_nlmsg_next(struct nlmsghdr *nlh, int *len) {
    return NLMSG_NEXT(nlh, *len);
}

/* RTA_ALIGN(len) */
static inline uint32_t caddress_rta_align(uint32_t len) {
    return RTA_ALIGN(len);
}

/* RTA_LENGTH(len) */
static inline uint32_t caddress_rta_length(uint32_t len) {
    return RTA_LENGTH(len);
}

/* RTA_OK(rta, len) */
static inline int caddress_rta_ok(const struct rtattr *rta, int len) {
    return RTA_OK(rta, len);
}

/* RTA_NEXT(rta, len): the next attribute; `*len` is decreased by the one skipped. */
static inline struct rtattr *caddress_rta_next(struct rtattr *rta, int *len) {
    return RTA_NEXT(rta, *len);
}

/* RTA_DATA(rta) */
static inline void *caddress_rta_data(struct rtattr *rta) {
    return RTA_DATA(rta);
}

/* RTA_PAYLOAD(rta) */
static inline int caddress_rta_payload(const struct rtattr *rta) {
    return RTA_PAYLOAD(rta);
}

/* IFA_RTA(ifa): the first attribute after an ifaddrmsg. */
static inline struct rtattr *caddress_ifa_rta(struct ifaddrmsg *ifa) {
    return IFA_RTA(ifa);
}

/* IFA_PAYLOAD(nlh): the length of the attributes after an ifaddrmsg. */
static inline int caddress_ifa_payload(const struct nlmsghdr *nlh) {
    return IFA_PAYLOAD(nlh);
}

#endif
