/*
 * CMemory: glibc's malloc.h, which Swift's Glibc module leaves out. No policy here: when
 * to hand the heap's free pages back is decided in Swift (StartupPages).
 */
#ifndef VACATAIRE_CMEMORY_H
#define VACATAIRE_CMEMORY_H

/* Hands the free pages of every malloc arena back to the kernel; 1 if any was. */
int cmemory_trim(void);

#endif
