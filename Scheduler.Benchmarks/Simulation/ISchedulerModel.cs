using Quorum.Core.Gangs;
using Quorum.Core.Snapshot;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A scheduler the simulator can drive: given the snapshot and the groups to try this step, where
/// do pods go. Placements must stay reserved on the snapshot (the simulator then assumes and confirms
/// them in the cache); anything not placed must leave the snapshot as it was.
/// </summary>
public interface ISchedulerModel
{
    /// <summary>Short name for tables and JSON.</summary>
    string Name { get; }

    /// <summary>The group as this scheduler sees it (a topology-blind scheduler drops the constraints).</summary>
    GangTree TreeFor(Workload workload);

    IReadOnlyList<Placement> Schedule(ClusterSnapshot snapshot, IReadOnlyList<GroupState> groups);

    /// <summary>How many groups the last <see cref="Schedule"/> decided for (a scheduler with a queue tries fewer than it is given).</summary>
    int LastTried { get; }

    /// <summary>A bound pod left <paramref name="node"/>: the event a queueing hint reacts to.</summary>
    void CapacityFreed(string node)
    {
    }
}
