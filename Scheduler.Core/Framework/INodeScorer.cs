using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Framework;

/// <summary>
/// A Score extension point as in kube-scheduler: among the nodes of one innermost domain that pass
/// every filter, the pod goes to the node with the highest weighted sum of scores (ties: node name).
/// </summary>
public interface INodeScorer
{
    /// <summary>The kube-scheduler plugin name, as the configuration file names it.</summary>
    string Name { get; }

    /// <summary>
    /// False when this scorer cannot tell the nodes of this snapshot apart for this pod (no node has a
    /// PreferNoSchedule taint, say): the search then skips it and keeps its allocation-free fast path.
    /// </summary>
    bool IsActive(Pod pod, ClusterSnapshot snapshot);

    /// <summary>
    /// A raw, non-negative score. The search normalises each scorer's raw scores over the candidate
    /// nodes as kube-scheduler's DefaultNormalizeScore does (<see cref="MaxScore"/> × raw / highest raw,
    /// reversed when <see cref="LowerIsBetter"/>), then sums them by weight.
    /// </summary>
    long Score(Pod pod, NodeInfo node);

    /// <summary>True when a lower raw score is the better node (a count of untolerated taints, GPUs left over).</summary>
    bool LowerIsBetter { get; }

    /// <summary>
    /// True for a node this scorer would have a pod avoid across domains, not only within the innermost
    /// one the topology order reaches first (a PreferNoSchedule taint the pod does not tolerate): the
    /// search tries the domain once without such nodes before it settles for them. Most scorers only
    /// rank: they leave <see cref="MayAvoid"/> false and the search makes one pass.
    /// </summary>
    bool Avoids(Pod pod, NodeInfo node) => false;

    /// <summary>Whether <see cref="Avoids"/> can ever say true, so the search knows when a first pass without such nodes is worth making.</summary>
    bool MayAvoid => false;

    public const long MaxScore = 100;
}
