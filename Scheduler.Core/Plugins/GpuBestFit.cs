using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// Packing: the node left with the fewest free GPUs after the pod (kube-scheduler's bin-packing idea,
/// counted in GPUs rather than fractions, so an 8-GPU node half used and a 4-GPU node full compare
/// by what a gang could still get). CPU-only pods go to the nodes with the fewest free GPUs, so they
/// do not break up free GPU nodes. Whole nodes and NVLink domains stay free for big gangs.
/// </summary>
public sealed class GpuBestFit : INodeScorer
{
    public string Name => "GpuBestFit";

    public bool LowerIsBetter => true;

    public bool IsActive(Pod pod, ClusterSnapshot snapshot) => true;

    public long Score(Pod pod, NodeInfo node) => Math.Max(0, node.FreeGpu - pod.Requests.Gpu);
}
