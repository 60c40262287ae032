/* Loading and checking a bundle's config.json. */
#ifndef BRIG_CONFIG_H
#define BRIG_CONFIG_H

#include "error.h"
#include "ocispec.h"

/* Read BUNDLE/config.json (or CONFIG if not NULL).  *raw keeps the text so
   the state dir can hold the exact config the container was made from. */
int brig_config_load (const char *bundle, const char *config, struct oci_spec **out, char **raw,
                      size_t *rawlen, struct brig_error **err);

/* Checks the parser cannot do: ociVersion 1.x, root.path, process.args,
   duplicate namespaces, mount destinations absolute, ... */
int brig_config_validate (const struct oci_spec *s, struct brig_error **err);

/* The namespace entry of TYPE ("pid", "network", ...) or NULL. */
const struct oci_namespace *brig_config_namespace (const struct oci_spec *s, const char *type);

#endif
