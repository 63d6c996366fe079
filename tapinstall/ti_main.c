/*
 * tapinstall: the command table, argument checks, the verbs and their output.
 *
 * Output is what installers rely on: `hwids <id>` prints, per matching device, its instance
 * id, its name and a "Hardware IDs:" list, or one line saying that no matching devices were
 * found (which never repeats the id, so "output contains the id" means "a device exists").
 *
 * SPDX-License-Identifier: MIT
 */
#include "ti.h"
#include "ti_out.h"

/* The build generates ti_version.h from version.py: TI_VERSION and TI_COMPONENT_ID. */
#ifdef TI_HAVE_VERSION_H
#include "ti_version.h"
#endif
#ifndef TI_VERSION
#define TI_VERSION "(development build)"
#endif

#define TI_INSTANCE_ID_MAX 201 /* MAX_DEVICE_ID_LEN + 1 */
#define TI_PATH_MAX        1024
#define TI_DESCRIBE_MAX    256

typedef struct TiCommand TiCommand;

typedef struct {
    const char *name;
    const char *args;    /* as shown in the usage line */
    const char *summary; /* one line for the command list */
    const char *details; /* the rest of "help <command>", lines separated by '\n' */
    size_t minArgs;
    size_t maxArgs; /* (size_t)-1: no limit */
    int exactId;    /* the last argument is one exact hardware id (no '*', no '@') */
    int (*run)(TiCommand *cmd);
} TiVerb;

struct TiCommand {
    const TiPlatform *platform;
    const TiVerb *verb;
    TiChar *const *args; /* the arguments after the command name */
    size_t count;
    TiOut out;
    TiOut err;
};

static int RunInstall(TiCommand *cmd);
static int RunUpdate(TiCommand *cmd);
static int RunRemove(TiCommand *cmd);
static int RunHwids(TiCommand *cmd);
static int RunFind(TiCommand *cmd);
static int RunStatus(TiCommand *cmd);
static int RunHelp(TiCommand *cmd);

#define NO_LIMIT ((size_t)-1)

static const TiVerb kVerbs[] = {
    {"install", "<inf> <hwid>",
     "create a device with the hardware id and install the INF's driver on it",
     "Creates a new root-enumerated device (one more adapter each time it runs), then\n"
     "installs the driver from the INF on every device with the hardware id. If installing\n"
     "the driver fails, the new device is removed again.",
     2, 2, 1, RunInstall},
    {"update", "<inf> <hwid>", "install the INF's driver on every device with the hardware id",
     "Fails when no present device has the hardware id; `install` creates one.", 2, 2, 1,
     RunUpdate},
    {"remove", "<id>...", "remove every matching device",
     "Prints each removed device and a count. Nothing matching is not an error.", 1, NO_LIMIT, 0,
     RunRemove},
    {"hwids", "<id>...", "list matching devices with their hardware and compatible ids",
     "Installers run `hwids <hwid>` and choose `update` when the output contains the\n"
     "hardware id, `install` otherwise.",
     1, NO_LIMIT, 0, RunHwids},
    {"find", "<id>...", "list matching devices: instance id and name", NULL, 1, NO_LIMIT, 0,
     RunFind},
    {"status", "<id>...", "show whether the driver of each matching device is running", NULL, 1,
     NO_LIMIT, 0, RunStatus},
    {"help", "[<command>]", "show this help, or one command's", NULL, 0, 1, 0, RunHelp},
};

#define VERB_COUNT (sizeof kVerbs / sizeof kVerbs[0])
#define HELP_VERB  (VERB_COUNT - 1) /* kept last in the table */

static const char kAccepted[] = "install, update, remove, hwids, find, status, help";

/* ---- messages ------------------------------------------------------------------------- */

/* Starts a line on stderr (stdout is flushed first so the two keep their order on a console). */
static TiOut *ErrLine(TiCommand *cmd)
{
    OutFlush(&cmd->out);
    OutAscii(&cmd->err, "tapinstall: ");
    if (cmd->verb != NULL) {
        OutAscii(&cmd->err, cmd->verb->name);
        OutAscii(&cmd->err, ": ");
    }
    return &cmd->err;
}

static void EndErrLine(TiCommand *cmd)
{
    OutNewline(&cmd->err);
    OutFlush(&cmd->err);
}

static void OutErrorCode(TiOut *o, uint32_t code, int configRet)
{
    OutAscii(o, configRet ? "(CONFIGRET " : "(error ");
    if (code < 0x10000u && !configRet)
        OutUnsigned(o, code);
    else
        OutHex32(o, code);
    OutChar(o, ')');
}

/* "<call> failed: <system text> (error N)[; hint]" */
static void OutFailure(TiCommand *cmd, TiOut *o, const TiError *e)
{
    TiChar text[TI_DESCRIBE_MAX];
    size_t n = 0;
    OutAscii(o, e->call != NULL ? e->call : "the operation");
    OutAscii(o, " failed: ");
    if (!e->configRet && cmd->platform->describe != NULL)
        n = cmd->platform->describe(cmd->platform->ctx, e->code, text, TI_DESCRIBE_MAX);
    if (n > TI_DESCRIBE_MAX)
        n = TI_DESCRIBE_MAX;
    if (n != 0) {
        OutTextN(o, text, n);
        OutChar(o, ' ');
    }
    OutErrorCode(o, e->code, e->configRet);
    if (e->configRet)
        return;
    switch (e->code) {
    case TI_ERROR_ACCESS_DENIED:
        OutAscii(o, "; run tapinstall from an elevated (administrator) prompt");
        break;
    case TI_ERROR_IN_WOW64:
        OutAscii(o, "; run the tapinstall.exe built for this machine's architecture "
                    "(amd64 or arm64), not the i386 one");
        break;
    case TI_ERROR_NO_SUCH_DEVINST:
        OutAscii(o, "; no present device has this hardware id (`install` creates one)");
        break;
    default:
        break;
    }
}

static int Usage(TiCommand *cmd)
{
    TiOut *o = ErrLine(cmd);
    OutAscii(o, "takes ");
    OutAscii(o, cmd->verb->args);
    OutAscii(o, ", got ");
    OutUnsigned(o, (uint32_t)cmd->count);
    OutAscii(o, cmd->count == 1 ? " argument" : " arguments");
    OutAscii(o, " (see tapinstall help ");
    OutAscii(o, cmd->verb->name);
    OutChar(o, ')');
    EndErrLine(cmd);
    return TI_EXIT_USAGE;
}

/* ---- help ----------------------------------------------------------------------------- */

static void OutVerbUsage(TiOut *o, const TiVerb *v)
{
    OutAscii(o, "tapinstall ");
    OutAscii(o, v->name);
    OutChar(o, ' ');
    OutAscii(o, v->args);
}

static size_t AsciiLen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0')
        ++n;
    return n;
}

static void OutHelp(TiOut *o)
{
    OutAscii(o, "tapinstall " TI_VERSION ": install, update, remove and find TAP adapters\n"
                "\n"
                "Usage: tapinstall <command> <arguments>\n"
                "\n"
                "Commands:\n");
    for (size_t i = 0; i < VERB_COUNT; ++i) {
        const TiVerb *v = &kVerbs[i];
        size_t width = AsciiLen(v->name) + 1 + AsciiLen(v->args);
        OutAscii(o, "  ");
        OutAscii(o, v->name);
        OutChar(o, ' ');
        OutAscii(o, v->args);
        OutSpaces(o, width < 22 ? 22 - width : 1);
        OutAscii(o, v->summary);
        OutNewline(o);
    }
    OutAscii(o, "\n"
                "An <id> is a hardware id matched case-blind against each device's hardware and\n"
                "compatible ids, with and without a leading \"root\\\"; '*' matches any run of\n"
                "characters. \"@<instance id>\" matches device instance ids instead.\n"
                "\n"
                "Exit codes: 0 success, 1 success but Windows must restart, 2 failure, 3 usage "
                "error.\n");
#ifdef TI_COMPONENT_ID
    OutAscii(o, "\n"
                "The TAP driver's hardware id in this build is " TI_COMPONENT_ID ", for example:\n"
                "  tapinstall install OemVista.inf " TI_COMPONENT_ID "\n"
                "  tapinstall hwids " TI_COMPONENT_ID "\n");
#endif
}

static const TiVerb *FindVerb(const TiChar *name)
{
    for (size_t i = 0; i < VERB_COUNT; ++i) {
        if (TextIsAscii(name, kVerbs[i].name))
            return &kVerbs[i];
    }
    return NULL;
}

static int IsHelpOption(const TiChar *arg)
{
    return TextIsAscii(arg, "-h") || TextIsAscii(arg, "--help") || TextIsAscii(arg, "/?") ||
           TextIsAscii(arg, "-?") || TextIsAscii(arg, "/h");
}

static int RunHelp(TiCommand *cmd)
{
    if (cmd->count == 0) {
        OutHelp(&cmd->out);
        return TI_EXIT_OK;
    }
    const TiVerb *v = FindVerb(cmd->args[0]);
    if (v == NULL) {
        TiOut *o = ErrLine(cmd);
        OutAscii(o, "unknown command '");
        OutText(o, cmd->args[0]);
        OutAscii(o, "'; accepted: ");
        OutAscii(o, kAccepted);
        EndErrLine(cmd);
        return TI_EXIT_USAGE;
    }
    OutAscii(&cmd->out, "Usage: ");
    OutVerbUsage(&cmd->out, v);
    OutAscii(&cmd->out, "\n\n");
    /* The summary as a sentence. */
    OutChar(&cmd->out, (TiChar)(v->summary[0] - ('a' - 'A')));
    OutAscii(&cmd->out, v->summary + 1);
    OutAscii(&cmd->out, ".\n");
    if (v->details != NULL) {
        OutAscii(&cmd->out, v->details);
        OutNewline(&cmd->out);
    }
    return TI_EXIT_OK;
}

/* ---- device listing ------------------------------------------------------------------- */

typedef enum {
    LIST_HWIDS,
    LIST_FIND,
    LIST_STATUS,
    LIST_REMOVE,
    LIST_COUNT_EXACT, /* count devices that have args[1] as a hardware or compatible id */
} TiListKind;

typedef struct {
    TiCommand *cmd;
    TiListKind kind;
    uint32_t matched;
    uint32_t removed;
    int reboot;
    int failed;
} TiWalk;

static int Matches(const TiCommand *cmd, const TiDevice *d)
{
    for (size_t i = 0; i < cmd->count; ++i) {
        if (MatchDevice(cmd->args[i], d->instanceId, d->hardwareIds, d->compatibleIds))
            return 1;
    }
    return 0;
}

static void OutIdList(TiOut *o, const char *title, const TiChar *ids)
{
    if (ids == NULL || ids[0] == 0)
        return;
    OutAscii(o, "    ");
    OutAscii(o, title);
    OutAscii(o, ":\n");
    for (const TiChar *id = ids; *id != 0; id += TextLen(id) + 1) {
        OutAscii(o, "        ");
        OutText(o, id);
        OutNewline(o);
    }
}

static void OutName(TiOut *o, const TiDevice *d)
{
    OutAscii(o, "    Name:");
    if (d->name != NULL && d->name[0] != 0) {
        OutChar(o, ' ');
        OutText(o, d->name);
    }
    OutNewline(o);
}

static void OutStatus(TiWalk *w, const TiDevice *d)
{
    TiCommand *cmd = w->cmd;
    TiStatus st;
    TiError e = {NULL, 0, 0};
    if (cmd->platform->status(cmd->platform->ctx, d, &st, &e) != 0) {
        TiOut *o = ErrLine(cmd);
        OutText(o, d->instanceId);
        OutAscii(o, ": ");
        OutFailure(cmd, o, &e);
        EndErrLine(cmd);
        w->failed = 1;
        return;
    }
    TiOut *o = &cmd->out;
    switch (st.state) {
    case TI_STATE_RUNNING:
        OutAscii(o, "    Driver is running.\n");
        break;
    case TI_STATE_DISABLED:
        OutAscii(o, "    Device is disabled.\n");
        break;
    case TI_STATE_PROBLEM:
        OutAscii(o, "    Device has a problem: code ");
        OutUnsigned(o, st.problem);
        OutAscii(o, ".\n");
        break;
    case TI_STATE_STOPPED:
    default:
        OutAscii(o, "    Device is stopped.\n");
        break;
    }
}

static void RemoveOne(TiWalk *w, const TiDevice *d)
{
    TiCommand *cmd = w->cmd;
    TiError e = {NULL, 0, 0};
    int reboot = 0;
    if (cmd->platform->remove(cmd->platform->ctx, d, &reboot, &e) != 0) {
        TiOut *o = ErrLine(cmd);
        OutText(o, d->instanceId);
        OutAscii(o, ": not removed: ");
        OutFailure(cmd, o, &e);
        EndErrLine(cmd);
        w->failed = 1;
        return;
    }
    ++w->removed;
    OutText(&cmd->out, d->instanceId);
    if (reboot) {
        w->reboot = 1;
        OutAscii(&cmd->out, ": removed; Windows must restart to finish\n");
    } else
        OutAscii(&cmd->out, ": removed\n");
}

static int HasIdExact(const TiChar *ids, const TiChar *id)
{
    if (ids == NULL)
        return 0;
    for (; *ids != 0; ids += TextLen(ids) + 1) {
        if (MatchGlob(id, ids))
            return 1;
    }
    return 0;
}

static int OnDevice(void *arg, const TiDevice *d)
{
    TiWalk *w = (TiWalk *)arg;
    TiOut *o = &w->cmd->out;
    if (w->kind == LIST_COUNT_EXACT) {
        const TiChar *id = w->cmd->args[1];
        if (HasIdExact(d->hardwareIds, id) || HasIdExact(d->compatibleIds, id))
            ++w->matched;
        return 0;
    }
    if (!Matches(w->cmd, d))
        return 0;
    ++w->matched;
    switch (w->kind) {
    case LIST_HWIDS:
        OutText(o, d->instanceId);
        OutNewline(o);
        OutName(o, d);
        OutIdList(o, "Hardware IDs", d->hardwareIds);
        OutIdList(o, "Compatible IDs", d->compatibleIds);
        break;
    case LIST_FIND:
        OutText(o, d->instanceId);
        if (d->name != NULL && d->name[0] != 0) {
            OutAscii(o, ": ");
            OutText(o, d->name);
        }
        OutNewline(o);
        break;
    case LIST_STATUS:
        OutText(o, d->instanceId);
        OutNewline(o);
        OutName(o, d);
        OutStatus(w, d);
        break;
    case LIST_REMOVE:
        RemoveOne(w, d);
        break;
    case LIST_COUNT_EXACT:
        break;
    }
    return 0;
}

static int Enumerate(TiCommand *cmd, TiWalk *w)
{
    TiError e = {NULL, 0, 0};
    if (cmd->platform->enumerate(cmd->platform->ctx, OnDevice, w, &e) == 0)
        return 0;
    TiOut *o = ErrLine(cmd);
    OutAscii(o, "listing devices: ");
    OutFailure(cmd, o, &e);
    EndErrLine(cmd);
    return -1;
}

/* (Fields set one by one: MSVC's C mode warns on non-constant aggregate initializers.) */
static void WalkInit(TiWalk *w, TiCommand *cmd, TiListKind kind)
{
    w->cmd = cmd;
    w->kind = kind;
    w->matched = 0;
    w->removed = 0;
    w->reboot = 0;
    w->failed = 0;
}

static int Walk(TiCommand *cmd, TiListKind kind)
{
    TiWalk w;
    WalkInit(&w, cmd, kind);
    if (Enumerate(cmd, &w) != 0)
        return TI_EXIT_FAIL;
    TiOut *o = &cmd->out;
    if (w.matched == 0)
        OutAscii(o, "No matching devices found.\n");
    else if (kind == LIST_REMOVE) {
        OutUnsigned(o, w.removed);
        OutAscii(o, " device(s) removed.\n");
    } else {
        OutUnsigned(o, w.matched);
        OutAscii(o, " matching device(s) found.\n");
    }
    if (w.failed)
        return TI_EXIT_FAIL;
    return w.reboot ? TI_EXIT_REBOOT : TI_EXIT_OK;
}

static int RunHwids(TiCommand *cmd)
{
    return Walk(cmd, LIST_HWIDS);
}

static int RunFind(TiCommand *cmd)
{
    return Walk(cmd, LIST_FIND);
}

static int RunStatus(TiCommand *cmd)
{
    return Walk(cmd, LIST_STATUS);
}

static int RunRemove(TiCommand *cmd)
{
    return Walk(cmd, LIST_REMOVE);
}

/* ---- install and update --------------------------------------------------------------- */

/* Resolves the INF argument to a full path, or prints why not. */
static int ResolveInf(TiCommand *cmd, TiChar *full)
{
    TiError e = {NULL, 0, 0};
    if (cmd->platform->infPath(cmd->platform->ctx, cmd->args[0], full, TI_PATH_MAX, &e) == 0)
        return 0;
    TiOut *o = ErrLine(cmd);
    OutAscii(o, "INF file ");
    OutText(o, cmd->args[0]);
    OutAscii(o, ": ");
    OutFailure(cmd, o, &e);
    EndErrLine(cmd);
    return -1;
}

static int UpdateDrivers(TiCommand *cmd, const TiChar *inf, const TiChar *hwid)
{
    TiError e = {NULL, 0, 0};
    int reboot = 0;
    OutAscii(&cmd->out, "Installing the driver for ");
    OutText(&cmd->out, hwid);
    OutAscii(&cmd->out, " from ");
    OutText(&cmd->out, inf);
    OutAscii(&cmd->out, ".\n");
    if (cmd->platform->update(cmd->platform->ctx, inf, hwid, &reboot, &e) != 0) {
        TiOut *o = ErrLine(cmd);
        OutFailure(cmd, o, &e);
        EndErrLine(cmd);
        return TI_EXIT_FAIL;
    }
    if (reboot) {
        OutAscii(&cmd->out, "Driver installed; Windows must restart to finish.\n");
        return TI_EXIT_REBOOT;
    }
    OutAscii(&cmd->out, "Driver installed.\n");
    return TI_EXIT_OK;
}

static int RunInstall(TiCommand *cmd)
{
    TiChar inf[TI_PATH_MAX];
    TiChar instance[TI_INSTANCE_ID_MAX];
    const TiChar *hwid = cmd->args[1];
    void *token = NULL;
    TiError e = {NULL, 0, 0};

    if (ResolveInf(cmd, inf) != 0)
        return TI_EXIT_FAIL;
    instance[0] = 0;
    if (cmd->platform->create(cmd->platform->ctx, inf, hwid, &token, instance, TI_INSTANCE_ID_MAX,
                              &e) != 0) {
        TiOut *o = ErrLine(cmd);
        OutAscii(o, "creating the device: ");
        OutFailure(cmd, o, &e);
        EndErrLine(cmd);
        return TI_EXIT_FAIL;
    }
    OutAscii(&cmd->out, "Created device ");
    OutText(&cmd->out, instance);
    OutAscii(&cmd->out, ".\n");

    int rc = UpdateDrivers(cmd, inf, hwid);
    if (rc == TI_EXIT_FAIL) {
        TiError de = {NULL, 0, 0};
        if (cmd->platform->discard(cmd->platform->ctx, token, &de) != 0) {
            TiOut *o = ErrLine(cmd);
            OutAscii(o, "removing the new device ");
            OutText(o, instance);
            OutAscii(o, " again: ");
            OutFailure(cmd, o, &de);
            EndErrLine(cmd);
        } else {
            OutAscii(&cmd->out, "Removed device ");
            OutText(&cmd->out, instance);
            OutAscii(&cmd->out, " again.\n");
        }
        return TI_EXIT_FAIL;
    }
    cmd->platform->release(cmd->platform->ctx, token);
    return rc;
}

static int RunUpdate(TiCommand *cmd)
{
    TiChar inf[TI_PATH_MAX];
    if (ResolveInf(cmd, inf) != 0)
        return TI_EXIT_FAIL;

    /* Windows fails the update itself when no device has the id; saying so up front gives
     * the same answer with a clearer message, on every SetupAPI. */
    TiWalk w;
    WalkInit(&w, cmd, LIST_COUNT_EXACT);
    if (Enumerate(cmd, &w) != 0)
        return TI_EXIT_FAIL;
    if (w.matched == 0) {
        TiOut *o = ErrLine(cmd);
        OutAscii(o, "no present device has the hardware id '");
        OutText(o, cmd->args[1]);
        OutAscii(o, "'; `tapinstall install` creates one");
        EndErrLine(cmd);
        return TI_EXIT_FAIL;
    }
    return UpdateDrivers(cmd, inf, cmd->args[1]);
}

/* ---- entry ---------------------------------------------------------------------------- */

static int HasWildcard(const TiChar *s)
{
    for (; *s != 0; ++s) {
        if (*s == '*')
            return 1;
    }
    return 0;
}

static int CheckArgs(TiCommand *cmd)
{
    const TiVerb *v = cmd->verb;
    if (cmd->count < v->minArgs || (v->maxArgs != NO_LIMIT && cmd->count > v->maxArgs))
        return Usage(cmd);
    for (size_t i = 0; i < cmd->count; ++i) {
        if (cmd->args[i][0] == 0) {
            TiOut *o = ErrLine(cmd);
            OutAscii(o, "argument ");
            OutUnsigned(o, (uint32_t)(i + 1));
            OutAscii(o, " is empty; expected ");
            OutAscii(o, v->args);
            EndErrLine(cmd);
            return TI_EXIT_USAGE;
        }
    }
    if (v->exactId && cmd->count > 0) {
        const TiChar *id = cmd->args[cmd->count - 1];
        if (id[0] == '@' || HasWildcard(id)) {
            TiOut *o = ErrLine(cmd);
            OutAscii(o, "hardware id '");
            OutText(o, id);
            OutAscii(o, "' must be exact: no '*' and no leading '@'");
            EndErrLine(cmd);
            return TI_EXIT_USAGE;
        }
    }
    return TI_EXIT_OK;
}

int TiMain(size_t argc, TiChar *const *argv, const TiPlatform *platform)
{
    TiCommand cmd;
    int rc;

    cmd.platform = platform;
    cmd.verb = NULL;
    cmd.args = argv + (argc > 1 ? 2 : argc);
    cmd.count = argc > 2 ? argc - 2 : 0;
    OutInit(&cmd.out, platform, TI_STREAM_OUT);
    OutInit(&cmd.err, platform, TI_STREAM_ERR);

    if (argc < 2) {
        TiOut *o = ErrLine(&cmd);
        OutAscii(o, "no command given; accepted: ");
        OutAscii(o, kAccepted);
        OutAscii(o, " (see tapinstall help)");
        EndErrLine(&cmd);
        return TI_EXIT_USAGE;
    }
    const TiChar *name = argv[1];
    cmd.verb = IsHelpOption(name) ? &kVerbs[HELP_VERB] : FindVerb(name);
    if (cmd.verb == NULL) {
        TiOut *o = ErrLine(&cmd);
        OutAscii(o, (name[0] == '-' || name[0] == '/') ? "unknown option '" : "unknown command '");
        OutText(o, name);
        OutAscii(o, "'; accepted: ");
        OutAscii(o, kAccepted);
        OutAscii(o, " (see tapinstall help)");
        EndErrLine(&cmd);
        return TI_EXIT_USAGE;
    }
    rc = CheckArgs(&cmd);
    if (rc == TI_EXIT_OK)
        rc = cmd.verb->run(&cmd);
    OutFlush(&cmd.out);
    OutFlush(&cmd.err);
    return rc;
}
