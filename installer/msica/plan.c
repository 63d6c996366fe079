/*
 * The merge module's decisions (see plan.h). Portable C99, no C library: the custom-action
 * DLL links without one.
 */
#include "plan.h"

size_t tap_wcslen(const tap_wchar *s)
{
    size_t n = 0;
    while (s && s[n])
        n++;
    return n;
}

uint64_t tap_version_parse(const tap_wchar *text)
{
    uint64_t parts[4] = {0, 0, 0, 0};
    unsigned count = 0;
    uint32_t value = 0;
    int digits = 0;
    if (!text)
        return 0;
    for (const tap_wchar *p = text;; p++) {
        if (*p >= '0' && *p <= '9') {
            value = value * 10 + (uint32_t)(*p - '0');
            if (++digits > 5 || value > 0xFFFF)
                return 0;
            continue;
        }
        if ((*p != '.' && *p != 0) || digits == 0 || count == 4)
            return 0;
        parts[count++] = value;
        value = 0;
        digits = 0;
        if (*p == 0)
            break;
    }
    return parts[0] << 48 | parts[1] << 32 | parts[2] << 16 | parts[3];
}

static int present(int state)
{
    return state == TAP_STATE_LOCAL || state == TAP_STATE_SOURCE || state == TAP_STATE_DEFAULT;
}

enum tap_decision tap_decide(const struct tap_facts *f)
{
    unsigned others;
    if (present(f->action)) {
        if (f->store_version == 0 || f->clients == 0)
            return TAP_INSTALL;
        if (f->module_version > f->store_version)
            return TAP_UPGRADE;
        if (f->module_version == f->store_version && present(f->installed) && f->is_client)
            return TAP_REINSTALL;
        /* The same version from another product, or an older one: keep the driver. */
        return f->is_client ? TAP_NONE : TAP_ADDREF;
    }
    if (f->action == TAP_STATE_ABSENT && (present(f->installed) || f->is_client)) {
        if (!f->is_client)
            return TAP_NONE; /* never counted in (installed before the count existed) */
        others = f->clients > 0 ? f->clients - 1 : 0;
        return others == 0 ? TAP_UNINSTALL : TAP_RELEASE;
    }
    return TAP_NONE;
}

int tap_use_win10(unsigned os_major, int have_win7_variant)
{
    return os_major >= 10 || !have_win7_variant;
}

static int put(struct tap_buffer *b, tap_wchar c)
{
    if (b->length + 1 >= b->capacity) {
        b->overflow = 1;
        return -1;
    }
    b->data[b->length++] = c;
    b->data[b->length] = 0;
    return 0;
}

int tap_script_add(struct tap_buffer *script, tap_wchar step, const tap_wchar *const *fields,
                   size_t count)
{
    size_t start = script->length;
    if (put(script, step) < 0)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        if (put(script, '|') < 0)
            goto fail;
        for (const tap_wchar *p = fields[i]; p && *p; p++) {
            if (*p == '|' || *p == '\n' || *p == '\r')
                goto fail;
            if (put(script, *p) < 0)
                goto fail;
        }
    }
    if (put(script, '\n') < 0)
        goto fail;
    return 0;
fail:
    script->length = start;
    if (script->capacity)
        script->data[start] = 0;
    return -1;
}

tap_wchar tap_script_next(struct tap_reader *r, tap_wchar **fields, size_t *count)
{
    tap_wchar step;
    tap_wchar *p = r->next;
    *count = 0;
    while (p && (*p == '\n' || *p == '\r'))
        p++;
    if (!p || !*p) {
        r->next = p;
        return 0;
    }
    step = *p++;
    while (*p == '|') {
        *p++ = 0;
        if (*count < TAP_MAX_FIELDS)
            fields[(*count)++] = p;
        while (*p && *p != '|' && *p != '\n' && *p != '\r')
            p++;
    }
    /* Anything after the step character but before the first '|' makes the line invalid. */
    if (*p && *p != '\n' && *p != '\r') {
        r->next = 0;
        *count = 0;
        return 0;
    }
    if (*p)
        *p++ = 0;
    r->next = p;
    return step;
}

#define ADD(buffer, step, ...)                                                                     \
    do {                                                                                           \
        const tap_wchar *f_[] = {__VA_ARGS__};                                                     \
        if (tap_script_add((buffer), (step), f_, sizeof(f_) / sizeof(f_[0])) < 0)                  \
            return -1;                                                                             \
    } while (0)

static const tap_wchar empty[1] = {0};

static const tap_wchar *or_empty(const tap_wchar *s)
{
    return s ? s : empty;
}

int tap_plan(enum tap_decision d, const struct tap_plan_input *in, struct tap_buffer *run,
             struct tap_buffer *rollback, struct tap_buffer *commit)
{
    const tap_wchar *published = or_empty(in->published);
    const tap_wchar *old_version = or_empty(in->old_version);
    struct tap_buffer *all[3] = {run, rollback, commit};
    for (int i = 0; i < 3; i++) {
        all[i]->length = 0;
        all[i]->overflow = 0;
        if (all[i]->capacity)
            all[i]->data[0] = 0;
    }
    switch (d) {
    case TAP_INSTALL:
        ADD(run, TAP_STEP_INSTALL, in->inf, in->hwid, in->key);
        ADD(run, TAP_STEP_ADDREF, in->key, in->product, in->version);
        ADD(rollback, TAP_STEP_REMOVE, in->hwid, in->key);
        ADD(rollback, TAP_STEP_RELEASE, in->key, in->product);
        break;
    case TAP_UPGRADE:
    case TAP_REINSTALL:
        ADD(run, TAP_STEP_INSTALL, in->inf, in->hwid, in->key);
        ADD(run, TAP_STEP_ADDREF, in->key, in->product, in->version);
        if (*published) {
            if (d == TAP_UPGRADE)
                ADD(rollback, TAP_STEP_RESTORE, published, in->hwid, in->key);
            ADD(commit, TAP_STEP_DELETE, published, in->key);
        }
        if (d == TAP_UPGRADE)
            ADD(rollback, TAP_STEP_VERSION, in->key, old_version);
        break;
    case TAP_ADDREF:
        ADD(run, TAP_STEP_ADDREF, in->key, in->product, empty);
        ADD(rollback, TAP_STEP_RELEASE, in->key, in->product);
        break;
    case TAP_UNINSTALL:
        ADD(run, TAP_STEP_REMOVE, in->hwid, in->key);
        ADD(run, TAP_STEP_RELEASE, in->key, in->product);
        ADD(rollback, TAP_STEP_INSTALL, in->inf, in->hwid, in->key);
        ADD(rollback, TAP_STEP_ADDREF, in->key, in->product, old_version);
        break;
    case TAP_RELEASE:
        ADD(run, TAP_STEP_RELEASE, in->key, in->product);
        ADD(rollback, TAP_STEP_ADDREF, in->key, in->product, empty);
        break;
    case TAP_NONE:
    default:
        break;
    }
    return 0;
}

const char *tap_decision_name(enum tap_decision d)
{
    switch (d) {
    case TAP_INSTALL:
        return "install";
    case TAP_UPGRADE:
        return "upgrade";
    case TAP_REINSTALL:
        return "reinstall";
    case TAP_ADDREF:
        return "add reference";
    case TAP_UNINSTALL:
        return "uninstall";
    case TAP_RELEASE:
        return "release reference";
    case TAP_NONE:
    default:
        return "none";
    }
}
