using Quorum.Core.Framework;

namespace Quorum.Core.Plugins;

/// <summary>
/// Rules a domain out from its aggregates alone, without visiting a node: too few free GPUs, cpu or
/// memory in all, no node with enough free GPUs for the largest pod, or too few such nodes. Exact on
/// GPUs (the histogram of nodes by free GPUs), so nothing that could fit is skipped. A domain whose
/// GPUs would not suffice even empty is Unresolvable.
/// </summary>
public sealed class DomainResources : IDomainFilter
{
    public string Name => "DomainResources";

    public StatusCode Filter(LevelContext level, int domain)
    {
        var tree = level.Tree;
        var d = level.Demand;
        if (d.Gpu > tree.AllocatableGpu(domain)) return StatusCode.Unresolvable;
        var gpu = level.MaxPodGpu;
        if (d.Gpu > tree.FreeGpu(domain) || d.MilliCpu > tree.FreeMilliCpu(domain) || d.Memory > tree.FreeMemory(domain)) return StatusCode.Unschedulable;
        if (gpu > 0 && (tree.MaxNodeFreeGpu(domain) < gpu || tree.MaxPodsByGpu(domain, gpu) < level.PodsOfMaxGpu)) return StatusCode.Unschedulable;
        return StatusCode.Success;
    }
}
