using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>
/// The "summary" object of --json, exactly these keys: the contract scripts and dashboards read.
/// managedMemoryBytes is per node.
/// </summary>
public sealed record SummaryJson(
    int Nodes,
    long Gpus,
    int Pods,
    int Groups,
    int AdmittedGroups,
    LatencySummary LatencyMs,
    double PodsPerSecond,
    double GpuAllocation,
    double TightestDomainRate,
    double Fragmentation,
    long ManagedMemoryBytes)
{
    public static SummaryJson From(SimulationReport r) => new(
        r.Nodes, r.Gpus, r.Pods, r.Groups, r.AdmittedGroups,
        new LatencySummary(Round(r.LatencyMs.P50), Round(r.LatencyMs.P90), Round(r.LatencyMs.P99), Round(r.LatencyMs.Max)),
        Math.Round(r.PodsPerSecond, 1), Round(r.GpuAllocation), Round(r.TightestDomainRate), Round(r.Fragmentation),
        r.ManagedMemoryBytesPerNode);

    private static double Round(double x) => Math.Round(x, 4);
}
