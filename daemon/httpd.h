/* httpd.h */
#ifndef JDP_HTTPD_H
#define JDP_HTTPD_H

#endif
