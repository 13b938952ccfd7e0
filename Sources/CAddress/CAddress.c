/* CAddress is header-only (static inline twins of the netlink macros); this file gives
 * the target a translation unit and checks that the header compiles as C. */
#include "CAddress.h"
