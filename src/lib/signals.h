#ifndef BRIG_SIGNALS_H
#define BRIG_SIGNALS_H
/* "KILL", "SIGKILL", "9", "RTMIN+3" -> signal number, or -1 if unknown. */
int brig_parse_signal (const char *s);
#endif
