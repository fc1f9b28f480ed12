using Quorum.Cli;

// One binary, several verbs (README "Commands"). Verbs that only read files run without a host.
var verb = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
try
{
    return verb switch
    {
        "whatif" => WhatIfCommand.Run(rest, Console.Out, Console.Error),
        "help" or "--help" or "-h" => Help(Console.Out, 0),
        "run" => await RunCommand.RunAsync(rest),
        "explain" or "capacity" => NotYet(verb),
        _ => Help(Console.Error, 2, $"unknown verb \"{verb}\""),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(verb == "run" ? RunCommand.Usage : WhatIfCommand.Usage);
    return 2;
}

static int Help(TextWriter w, int code, string? error = null)
{
    if (error is not null) w.WriteLine($"error: {error}");
    w.WriteLine("usage: quorum <verb> [flags]");
    w.WriteLine("  whatif -f FILE...   schedule pending pods from manifests offline (-o json for machine output)");
    w.WriteLine("  run [--kubeconfig PATH] [--config FILE] [--leader-elect=true|false]   the scheduler");
    w.WriteLine("  explain, capacity   ask a running scheduler (not implemented yet: see issue 5)");
    return code;
}

static int NotYet(string verb)
{
    Console.Error.WriteLine($"error: \"{verb}\" is not implemented yet in this build; only \"whatif\" is available.");
    return 2;
}
