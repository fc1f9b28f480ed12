using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's TaintToleration score: the fewer PreferNoSchedule taints a pod does not tolerate,
/// the better the node (raw score: their count, normalised in reverse). Inactive while no node of the
/// snapshot has such a taint.
/// </summary>
public sealed class TaintTolerationScorer : INodeScorer
{
    public string Name => "TaintToleration";

    public bool LowerIsBetter => true;

    public bool IsActive(Pod pod, ClusterSnapshot snapshot) => snapshot.PreferNoScheduleNodes > 0;

    // kube-scheduler weighs this score 3 to best fit's 1: an untolerated PreferNoSchedule node is the last resort.
    public bool Avoids(Pod pod, NodeInfo node) => Score(pod, node) > 0;

    public bool MayAvoid => true;

    public long Score(Pod pod, NodeInfo node)
    {
        long count = 0;
        foreach (var taint in node.Node.Taints)
        {
            if (taint.Effect != TaintEffect.PreferNoSchedule) continue;
            var tolerated = false;
            foreach (var t in pod.Tolerations)
            {
                // kube-scheduler counts only tolerations whose effect is empty or PreferNoSchedule.
                if (t.Effect is not (null or TaintEffect.PreferNoSchedule) || !t.Tolerates(taint)) continue;
                tolerated = true;
                break;
            }
            if (!tolerated) count++;
        }
        return count;
    }
}
