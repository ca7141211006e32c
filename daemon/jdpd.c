/* jdpd.c: the jdp node daemon (not written yet). */
#include "config.h"

int
main(void)
{
	return 0;
}
