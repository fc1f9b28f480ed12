namespace Quorum.Kubernetes;

/// <summary>Label keys and names users write on their objects.</summary>
public static class WellKnown
{
    public const string PodGroupLabel = "scheduling.quorum.dev/pod-group";
    public const string SubGroupLabel = "scheduling.quorum.dev/sub-group";
    public const string DefaultSchedulerName = "quorum";
}
