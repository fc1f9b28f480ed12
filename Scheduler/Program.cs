using Quorum.Cli;

// One binary, several verbs (docs/commands.md). Verbs that only read files run without a host.
var verb = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
try
{
    return verb switch
    {
        "whatif" when rest.Contains("--live") => await LiveWhatIfCommand.RunAsync(rest, Console.Out, Console.Error),
        "whatif" => WhatIfCommand.Run(rest, Console.Out, Console.Error),
        "explain" => await ExplainCommand.RunAsync(rest, Console.Out, Console.Error),
        "capacity" => await CapacityCommand.RunAsync(rest, Console.Out, Console.Error),
        "help" or "--help" or "-h" => Help(Console.Out, 0),
        "run" => await RunCommand.RunAsync(rest),
        _ => Help(Console.Error, 2, $"unknown verb \"{verb}\""),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(verb switch
    {
        "run" => RunCommand.Usage,
        "explain" => ExplainCommand.Usage,
        "capacity" => CapacityCommand.Usage,
        "whatif" when rest.Contains("--live") => LiveWhatIfCommand.Usage,
        _ => WhatIfCommand.Usage,
    });
    return 2;
}

static int Help(TextWriter w, int code, string? error = null)
{
    if (error is not null) w.WriteLine($"error: {error}");
    w.WriteLine("usage: quorum <verb> [flags]");
    w.WriteLine("  whatif -f FILE...   schedule pending pods from manifests offline (-o json for machine output)");
    w.WriteLine("  run [--kubeconfig PATH] [--config FILE] [--leader-elect=true|false]   the scheduler");
    w.WriteLine("  whatif --live -f FILE...   ask the running scheduler whether these PodGroups and Pods would be admitted now, and where");
    w.WriteLine("  explain pod|podgroup NAME [-n NS]   ask the running scheduler why it waits");
    w.WriteLine("  capacity [--topology T] [--level L]   free capacity per domain and a heat map of free GPUs");
    w.WriteLine("  (the last three: --address HOST:PORT, --token/--token-file, --ca-file, --cert-file/--key-file, -o table|json)");
    return code;
}
