/* Ports: the parameters of a generated static function and the arguments of
 * its one call, kept side by side so the signature and the call are printed
 * from the same list and cannot drift apart. */
#include "emit_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* The argument of a port in its call. A struct buffer (m->...) passed to a pointer to const
 * rows, "const float (*restrict in)[DIM]", is cast to it: ISO C before C2X does not convert a
 * pointer to an array to one to an array of const elements (gcc -Wpedantic says so). */
static const char *port_arg(const rf_port *pt, char *buf, size_t len)
{
    static const char rows[] = "const float (*";
    const char *dim = strstr(pt->decl, ")[");
    if (strncmp(pt->decl, rows, sizeof rows - 1) != 0 || strncmp(pt->arg, "m->", 3) != 0 || !dim)
        return pt->arg;
    snprintf(buf, len, "(const float (*)%s)%s", dim + 1, pt->arg);
    return buf;
}

void rf_ports_call(rf_codebuf *cb, const char *name, const rf_ports *ps)
{
    const char *args[RF_MAX_PORTS];
    char cast[RF_MAX_PORTS][sizeof ps->port[0].arg + sizeof ps->port[0].decl];
    for (int i = 0; i < ps->n; i++)
        args[i] = port_arg(&ps->port[i], cast[i], sizeof cast[i]);
    rf_emit_call(cb, name, args, ps->n);
}

/* A step's ports from its emitter, and its function's name "NAME_LAYER_forward". */
static void step_ports(const rf_plan *p, const rf_plan_op *op, int backward, rf_ports *ps, char *name, size_t len)
{
    const rf_layer_emitter *e = rf_layer_emitter_of(op->kind);
    ps->n = 0;
    (backward ? e->backward_ports : e->forward_ports)(p, op, ps);
    snprintf(name, len, "%s_%s_%s", p->name, op->name, backward ? "backward" : "forward");
}

void rf_emit_step_signature(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int backward)
{
    rf_ports ps;
    char name[RF_PLAN_IDENT + 48], head[RF_PLAN_IDENT + 64];
    step_ports(p, op, backward, &ps, name, sizeof name);
    snprintf(head, sizeof head, "static void %s(", name);
    rf_ports_signature(cb, head, &ps);
}

void rf_emit_step_call(rf_codebuf *cb, const rf_plan *p, const rf_plan_op *op, int backward)
{
    rf_ports ps;
    char name[RF_PLAN_IDENT + 48];
    step_ports(p, op, backward, &ps, name, sizeof name);
    rf_ports_call(cb, name, &ps);
}
