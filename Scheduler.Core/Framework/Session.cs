using Quorum.Core.Gangs;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Framework;

/// <summary>
/// One cycle's view of the cluster: the snapshot it decides on, the profile, the time the cycle
/// started, and the statement every tentative placement and eviction goes through (KAI Scheduler's
/// session, smaller). Nothing in it outlives the cycle but what the statement commits.
/// </summary>
public sealed class Session(ClusterSnapshot snapshot, SchedulerProfile profile, DateTimeOffset now)
{
    public ClusterSnapshot Snapshot => snapshot;
    public SchedulerProfile Profile => profile;
    public DateTimeOffset Now => now;
    public Statement Statement { get; } = new(snapshot);

    /// <summary>Which nodes each pod could ever use, cached on the snapshot across cycles.</summary>
    public Eligibility Eligibility => snapshot.Eligibility;

    /// <summary>The tree a gang is placed on: its topology, else the profile's default one, else the flat node list.</summary>
    public TopologyTree TreeFor(GangTree gang) => profile.TreeFor(snapshot, gang);
}
