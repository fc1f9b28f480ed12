using Quorum.Benchmarks.Simulation;

namespace Quorum.Benchmarks.Cli;

/// <summary>
/// The "summary" object of --json, exactly these keys: the contract scripts and dashboards read.
/// managedMemoryBytes is per node; decisionsPerPod is group decisions per placed pod; stepLatencyMs
/// is per simulator step (snapshot update, queue and the decisions of every group tried).
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
    long ManagedMemoryBytes,
    double DecisionsPerPod,
    LatencySummary StepLatencyMs)
{
    public static SummaryJson From(SimulationReport r) => new(
        r.Nodes, r.Gpus, r.Pods, r.Groups, r.AdmittedGroups,
        new LatencySummary(Round(r.LatencyMs.P50), Round(r.LatencyMs.P90), Round(r.LatencyMs.P99), Round(r.LatencyMs.Max)),
        Math.Round(r.PodsPerSecond, 1), Round(r.GpuAllocation), Round(r.TightestDomainRate), Round(r.Fragmentation),
        r.ManagedMemoryBytesPerNode,
        Round(r.PodsPlaced == 0 ? 0 : (double)r.Decisions / r.PodsPlaced),
        new LatencySummary(Round(r.StepLatencyMs.P50), Round(r.StepLatencyMs.P90), Round(r.StepLatencyMs.P99), Round(r.StepLatencyMs.Max)));

    private static double Round(double x) => Math.Round(x, 4);
}
