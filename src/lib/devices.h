/* /dev: the default devices, linux.devices, the standard symlinks. */
#ifndef BRIG_DEVICES_H
#define BRIG_DEVICES_H

#include "error.h"
#include "rootfs.h"

int brig_devices_setup (struct brig_rootfs *r, struct brig_error **err);

#endif
