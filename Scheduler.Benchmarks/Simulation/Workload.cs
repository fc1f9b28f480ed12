using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// One generated group: when it arrives and, once its minimum runs, how long it runs (simulated
/// seconds). Immutable, so the same stream can be fed to every scheduler being compared.
/// </summary>
/// <param name="Background">
/// Part of the warm start: already in the cluster at t = 0 and excluded from every metric.
/// </param>
public sealed record Workload(
    int Id,
    WorkloadKind Kind,
    NodeKind NodeKind,
    double Arrival,
    double Duration,
    PodGroupSpec Spec,
    ImmutableArray<Pod> Pods,
    bool Background = false)
{
    public long Gpus { get; } = Pods.Sum(p => p.Requests.Gpu);

    /// <summary>The same group with every topology constraint removed (the topology-blind gang scheduler).</summary>
    public PodGroupSpec SpecWithoutTopology() => Spec with
    {
        TopologyConstraint = null,
        SubGroups = [.. Spec.SubGroups.Select(s => s with { TopologyConstraint = null })],
    };
}
