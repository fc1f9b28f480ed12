using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>
/// The human-readable tables simulate prints (the JSON carries the same figures). The build sets
/// InvariantGlobalization, so number formats are the same on every machine.
/// </summary>
public static class SummaryTable
{
    public static void PrintRun(TextWriter w, SimulationReport r, SimulateOptions o, double arrivalRate)
    {
        w.WriteLine();
        w.WriteLine($"Quorum simulation: {o.Profile}, {r.Nodes:N0} nodes ({r.Gpus:N0} GPUs), workload {o.Workload}, seed {o.Seed}");
        w.WriteLine($"  {r.SimulatedSeconds:N0} s simulated, offered load {o.Load:F2} ({arrivalRate:F3} arrivals/s), warm start {o.Warm ?? 0:F2}, patience {o.Patience:N0} s");
        Row(w, "groups arrived", $"{r.Groups:N0} ({r.Pods:N0} pods)");
        Row(w, "groups admitted", $"{r.AdmittedGroups:N0} ({Pct(r.AdmittedGroups, r.Groups)}); timed out {r.TimedOutGroups:N0}");
        Row(w, "pods placed", $"{r.PodsPlaced:N0} in {r.Steps:N0} steps, {r.Decisions:N0} group decisions");
        Row(w, "latency per group (ms)", Lat(r.LatencyMs));
        Row(w, "latency per step (ms)", Lat(r.StepLatencyMs) + $"  ({r.StepsWithGen2Collection} steps with a gen2 GC)");
        Row(w, "throughput", $"{r.PodsPerSecond:N0} pods/s ({r.DecisionSeconds:F3} s spent deciding)");
        Row(w, "GPU allocation", r.UtilisationSamples == 0 ? "n/a (no step left work waiting)"
            : $"{r.GpuAllocation:F3} (over {r.UtilisationSamples:N0} steps with work waiting)");
        Row(w, "tightest-domain rate", $"{r.TightestDomainRate:F3} (of {r.TightestDomainGroups:N0} groups with 2+ GPU pods)");
        Row(w, "GPU alloc, time-weighted", $"{r.TimeWeightedGpuAllocation:F3} (whole run)");
        Row(w, "fragmentation", r.FragmentationSamples == 0 ? "n/a (no GPU free while work waited)"
            : $"{r.Fragmentation:F3} (free GPUs in partly used NVLink domains / free GPUs)");
        Row(w, "managed memory", $"{r.ManagedMemoryBytesPerNode:N0} B/node ({r.ManagedMemoryBytesTotal / 1048576.0:F1} MiB total)");
        Row(w, "wall time", $"{r.WallSeconds:F1} s");
    }

    public static void PrintCompare(TextWriter w, IReadOnlyList<SimulationReport> runs)
    {
        w.WriteLine();
        w.WriteLine("Same cluster, same workload stream:");
        var rows = new (string Name, Func<SimulationReport, string> Value)[]
        {
            ("groups admitted", r => $"{r.AdmittedGroups:N0} / {r.Groups:N0}"),
            ("groups timed out", r => $"{r.TimedOutGroups:N0}"),
            ("pods placed", r => $"{r.PodsPlaced:N0}"),
            ("GPU allocation", r => Opt(r.UtilisationSamples, r.GpuAllocation)),
            ("  not held by partial gangs", r => Opt(r.UtilisationSamples, r.UsefulGpuAllocation)),
            ("tightest-domain rate", r => $"{r.TightestDomainRate:F3}"),
            ("GPU allocation, time-weighted", r => $"{r.TimeWeightedGpuAllocation:F3}"),
            ("steps with work waiting", r => $"{r.UtilisationSamples:N0}"),
            ("fragmentation", r => Opt(r.FragmentationSamples, r.Fragmentation)),
            ("partial-gang deadlocks", r => $"{r.PartialGangGroups:N0}"),
            ("  peak at once", r => $"{r.PartialGangPeak:N0}"),
            ("  GPU share held", r => $"{r.PartialGangGpuShare:F3}"),
            ("latency/group p50 (ms)", r => $"{r.LatencyMs.P50:F4}"),
            ("latency/group p99 (ms)", r => $"{r.LatencyMs.P99:F4}"),
            ("wall time (s)", r => $"{r.WallSeconds:F1}"),
        };
        const int first = 30, col = 18;
        w.Write("  " + "".PadRight(first));
        foreach (var r in runs) w.Write(r.Scheduler.PadLeft(col));
        w.WriteLine();
        foreach (var (name, value) in rows)
        {
            w.Write("  " + name.PadRight(first));
            foreach (var r in runs) w.Write(value(r).PadLeft(col));
            w.WriteLine();
        }
        w.WriteLine("  GPU allocation and fragmentation: mean over each scheduler's own steps that left work waiting.");
        w.WriteLine("  partial-gang deadlocks: distinct groups seen at the end of a step holding pods below their minimum.");
    }

    public static void PrintSweep(TextWriter w, IReadOnlyList<SimulationReport> runs, SimulateOptions o)
    {
        w.WriteLine();
        w.WriteLine($"Quorum sweep: {o.Profile}, workload {o.Workload}, seed {o.Seed}, warm start {o.Warm ?? SimulateOptions.SweepWarmFraction:F2}, at most {SimulateOptions.SweepArrivals:N0} arrivals per size");
        w.WriteLine("  {0,8} {1,8} {2,6} {3,8} {4,8} {5,8} {6,8} {7,8} {8,9} {9,6} {10,6} {11,6} {12,10} {13,7}",
            "nodes", "GPUs", "groups", "admitted", "p50 ms", "p90 ms", "p99 ms", "max ms", "pods/s", "alloc", "tight", "frag", "B/node", "wall s");
        foreach (var r in runs)
        {
            w.WriteLine($"  {r.Nodes,8:N0} {r.Gpus,8:N0} {r.Groups,6:N0} {r.AdmittedGroups,8:N0} {r.LatencyMs.P50,8:F3} {r.LatencyMs.P90,8:F3} {r.LatencyMs.P99,8:F3} {r.LatencyMs.Max,8:F3} {r.PodsPerSecond,9:N0} {Opt(r.UtilisationSamples, r.GpuAllocation),6} {r.TightestDomainRate,6:F3} {Opt(r.FragmentationSamples, r.Fragmentation),6} {r.ManagedMemoryBytesPerNode,10:N0} {r.WallSeconds,7:F1}");
        }
        w.WriteLine("  latency: per-group decision (step time / groups tried); alloc, frag: mean over steps that left work waiting (n/a: none did).");
    }

    private static void Row(TextWriter w, string name, string value) => w.WriteLine($"  {name,-24} {value}");

    private static string Opt(int samples, double value) => samples == 0 ? "n/a" : $"{value:F3}";

    private static string Lat(LatencySummary l) =>
        $"p50 {l.P50:F4}  p90 {l.P90:F4}  p99 {l.P99:F4}  max {l.Max:F4}";

    private static string Pct(int part, int whole) => whole == 0 ? "-" : $"{100.0 * part / whole:F1}%";
}
