/* gossip.h */
#ifndef JDP_GOSSIP_H
#define JDP_GOSSIP_H

#endif
