/* node.h */
#ifndef JDP_NODE_H
#define JDP_NODE_H

#endif
