using BenchmarkDotNet.Running;
using Quorum.Benchmarks.Cli;

// Verbs: "simulate [flags]" runs the discrete-event simulator; "bench [BenchmarkDotNet args]" runs
// the BenchmarkDotNet suites (e.g. bench --filter '*Snapshot*' --job short).
switch (args.FirstOrDefault())
{
    case "simulate":
        return SimulateCommand.Run(args[1..]);
    case "optimality":
        try
        {
            return Quorum.Benchmarks.Optimality.OptimalityCheck.Run(args[1..]);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(Quorum.Benchmarks.Optimality.OptimalityCheck.Usage);
            return 2;
        }
    case "e2e":
        return Quorum.Benchmarks.EndToEnd.E2eCommand.Run(args[1..]);
    case "bench":
        BenchmarkSwitcher.FromAssembly(typeof(SimulateCommand).Assembly).Run(args[1..]);
        return 0;
    default:
        Console.Error.WriteLine(args.Length == 0 ? "missing verb" : $"unknown verb \"{args[0]}\"");
        Console.Error.WriteLine("usage: Scheduler.Benchmarks simulate [--help | flags]");
        Console.Error.WriteLine("       Scheduler.Benchmarks optimality [--help | flags]");
        Console.Error.WriteLine("       Scheduler.Benchmarks e2e --kubeconfig PATH [--help | flags]");
        Console.Error.WriteLine("       Scheduler.Benchmarks bench [--filter PATTERN] [--job short]");
        return 2;
}
