/* runner.h */
#ifndef JDP_RUNNER_H
#define JDP_RUNNER_H

#endif
