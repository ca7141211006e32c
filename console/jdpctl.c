/* jdpctl.c: the jdp console (not written yet). */
#include "config.h"

int
main(void)
{
	return 0;
}
