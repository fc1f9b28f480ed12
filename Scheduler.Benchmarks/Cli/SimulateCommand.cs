using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>The simulate verb: one run (optionally compared with two other schedulers) or a sweep of sizes.</summary>
public static class SimulateCommand
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(SimulateOptions.Usage);
            return 0;
        }
        var (options, error) = SimulateOptions.Parse(args);
        if (options is null)
        {
            Console.Error.WriteLine($"simulate: {error}");
            Console.Error.WriteLine(SimulateOptions.Usage);
            return 2;
        }
        return options.Sweep.Count > 0 ? Sweep(options) : Single(options);
    }

    private static int Single(SimulateOptions o)
    {
        var cluster = SimulatedCluster.Build(o.Profile, o.Nodes);
        var generator = new WorkloadGenerator(cluster, Settings(o, o.Warm ?? 0, int.MaxValue));
        var workloads = generator.Generate();
        var settings = new SimulationSettings(o.Duration, Patience: o.Patience);
        WarmUpJit(o);

        var quorum = Simulate(cluster, workloads, settings, "quorum", c => new GangSchedulerModel(cluster.Topology, c, topologyAware: true));
        SummaryTable.PrintRun(Console.Out, quorum, o, generator.ArrivalRate);

        var json = new SimulationJson(SummaryJson.From(quorum));
        if (o.Compare)
        {
            var flat = Simulate(cluster, workloads, settings, "gang-no-topology", c => new GangSchedulerModel(cluster.Topology, c, topologyAware: false));
            var kube = Simulate(cluster, workloads, settings, "kube-scheduler", _ => new KubeSchedulerBaseline(cluster.Topology, o.Seed));
            SummaryTable.PrintCompare(Console.Out, [quorum, flat, kube]);
            json = json with
            {
                Compare = new Dictionary<string, SimulationReport>
                {
                    ["quorum"] = quorum,
                    ["gangNoTopology"] = flat,
                    ["kubeScheduler"] = kube,
                },
            };
        }
        if (o.JsonFile is { } file)
        {
            json.Write(file);
            Console.WriteLine($"wrote {file}");
        }
        return 0;
    }

    private static int Sweep(SimulateOptions o)
    {
        var runs = new List<SimulationReport>();
        WarmUpJit(o);
        foreach (var nodes in o.Sweep)
        {
            var cluster = SimulatedCluster.Build(o.Profile, nodes);
            var generator = new WorkloadGenerator(cluster, Settings(o, o.Warm ?? SimulateOptions.SweepWarmFraction, SimulateOptions.SweepArrivals));
            var workloads = generator.Generate();
            // The window ends with the last arrival: after it, only departures would remain, and
            // at 100k nodes the warm start's departures alone would take minutes to replay.
            var lastArrival = workloads.Where(w => !w.Background).Select(w => w.Arrival).DefaultIfEmpty(0).Max();
            var duration = Math.Min(o.Duration, Math.Max(1, lastArrival));
            var settings = new SimulationSettings(duration, Patience: o.Patience);
            var run = Simulate(cluster, workloads, settings, $"quorum {nodes:N0} nodes", c => new GangSchedulerModel(cluster.Topology, c, topologyAware: true));
            runs.Add(run);
        }
        SummaryTable.PrintSweep(Console.Out, runs, o);

        if (o.JsonFile is { } file)
        {
            var png = Path.ChangeExtension(file, ".png");
            SweepPlot.Save(runs, png);
            new SimulationJson(SummaryJson.From(runs[^1])) { Sweep = runs, Plot = Path.GetFileName(png) }.Write(file);
            Console.WriteLine($"wrote {file} and {png}");
        }
        return 0;
    }

    /// <summary>
    /// Runs every scheduler about to be measured on a small cluster first and discards the result,
    /// so the measured runs time decisions, not the JIT compiling them. Tiered compilation first
    /// emits unoptimised code and recompiles hot methods in the background once calls stop
    /// producing new methods for a while (~100 ms), so the warm-up runs twice with a pause after
    /// each: the measured runs then execute the optimised code a long-running scheduler would.
    /// </summary>
    private static void WarmUpJit(SimulateOptions o)
    {
        var cluster = SimulatedCluster.Build(o.Profile, 500);
        var workloads = new WorkloadGenerator(cluster, new WorkloadSettings(o.Workload, o.Seed + 1, 7200, 1.2, 0.5, 2000)).Generate();
        var settings = new SimulationSettings(7200);
        for (var round = 0; round < 2; round++)
        {
            new Simulator(cluster, workloads, c => new GangSchedulerModel(cluster.Topology, c, topologyAware: true), settings).Run();
            if (o.Compare)
            {
                new Simulator(cluster, workloads, c => new GangSchedulerModel(cluster.Topology, c, topologyAware: false), settings).Run();
                new Simulator(cluster, workloads, _ => new KubeSchedulerBaseline(cluster.Topology, o.Seed), settings).Run();
            }
            Thread.Sleep(300);
        }
    }

    private static WorkloadSettings Settings(SimulateOptions o, double warm, int maxArrivals) =>
        new(o.Workload, o.Seed, o.Duration, o.Load, warm, maxArrivals);

    private static SimulationReport Simulate(SimulatedCluster cluster, IReadOnlyList<Workload> workloads, SimulationSettings settings,
        string label, Func<SimulatedClock, ISchedulerModel> model)
    {
        var bar = new ProgressBar(label);
        return new Simulator(cluster, workloads, model, settings, bar.Report).Run();
    }
}
