/* jdpctl.h */
#ifndef JDP_JDPCTL_H
#define JDP_JDPCTL_H
#endif
