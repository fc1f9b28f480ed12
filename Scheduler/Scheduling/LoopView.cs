using Quorum.Configuration;
using Quorum.Core.Gangs;
using Quorum.Core.Queue;
using Quorum.Hosting;

namespace Quorum.Scheduling;

/// <summary>
/// What the scheduling loop owns, handed to questions from other threads (the gRPC API) while they
/// run on the loop's thread between passes (see <see cref="SchedulerInsight"/>). None of it is
/// thread-safe; nothing outside such a question may touch it.
/// </summary>
public sealed record LoopView(
    ClusterState Cluster,
    SchedulingQueue Queue,
    SchedulingLoop Loop,
    GangAdmission Admission,
    SchedulerOptions Options,
    SchedulerState State,
    TimeProvider Time);
