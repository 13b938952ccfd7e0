/*
 * CTimerFD: Linux's timerfd, which Swift's Glibc module leaves out. A timer re-armed by one
 * thread wakes the thread reading it only when it expires (HeartbeatWatchdog).
 */
#ifndef VACATAIRE_CTIMERFD_H
#define VACATAIRE_CTIMERFD_H

#include <sys/timerfd.h>

#endif
