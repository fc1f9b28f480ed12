namespace Quorum.Hosting;

/// <summary>What /readyz and /healthz report: lists synced, leader or standby. Written by the loop, read by probes.</summary>
public sealed class SchedulerState
{
    private volatile bool _synced;
    private volatile bool _leader;

    public bool Synced { get => _synced; set => _synced = value; }
    public bool Leader { get => _leader; set => _leader = value; }
    public string Identity { get; init; } = "";

    private volatile string? _electionError;

    /// <summary>Why the last leader-election attempt failed (the Lease could not be read or written); null once one succeeds.</summary>
    public string? ElectionError { get => _electionError; set => _electionError = value; }

    /// <summary>Attempts recorded by the loop and questions from the gRPC API answered on its thread.</summary>
    public Scheduling.SchedulerInsight Insight { get; } = new();
}
