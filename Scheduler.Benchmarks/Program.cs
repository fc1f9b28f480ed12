using BenchmarkDotNet.Running;

// Verbs: "bench [BenchmarkDotNet args]" runs the BenchmarkDotNet suites.
if (args.Length > 0 && args[0] == "bench")
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
    return 0;
}
Console.Error.WriteLine("usage: Scheduler.Benchmarks bench [--filter PATTERN] [--job short]");
return 2;
