/* Ports: the parameters of a generated static function and the arguments of
 * its one call, kept side by side so the signature and the call are printed
 * from the same list and cannot drift apart. */
#include "emit_internal.h"

#include <stdarg.h>
#include <stdio.h>

void rf_ports_add(rf_ports *ps, const char *decl, const char *arg_fmt, ...)
{
    if (ps->n >= RF_MAX_PORTS)
        return; /* a generator bug: the compile of the output fails loudly */
    rf_port *pt = &ps->port[ps->n++];
    snprintf(pt->decl, sizeof pt->decl, "%s", decl);
    va_list ap;
    va_start(ap, arg_fmt);
    vsnprintf(pt->arg, sizeof pt->arg, arg_fmt, ap);
    va_end(ap);
}

void rf_ports_buffer(rf_ports *ps, const rf_plan *p, const char *decl, int buffer)
{
    char ref[RF_PLAN_IDENT + 8];
    rf_ports_add(ps, decl, "%s", rf_plan_ref(p, buffer, ref, sizeof ref));
}

void rf_ports_signature(rf_codebuf *cb, const char *head, const rf_ports *ps)
{
    const char *decls[RF_MAX_PORTS];
    for (int i = 0; i < ps->n; i++)
        decls[i] = ps->port[i].decl;
    rf_emit_signature(cb, head, decls, ps->n);
}

void rf_ports_call(rf_codebuf *cb, const char *name, const rf_ports *ps)
{
    const char *args[RF_MAX_PORTS];
    for (int i = 0; i < ps->n; i++)
        args[i] = ps->port[i].arg;
    rf_emit_call(cb, name, args, ps->n);
}
