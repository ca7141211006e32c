/* election.h */
#ifndef JDP_ELECTION_H
#define JDP_ELECTION_H

#endif
