namespace Quorum.Core.Model;

/// <summary>Kubernetes resource names the scheduler treats as first-class dimensions.</summary>
public static class ResourceNames
{
    public const string Cpu = "cpu";
    public const string Memory = "memory";
    public const string Pods = "pods";
    public const string NvidiaGpu = "nvidia.com/gpu";
    public const string EphemeralStorage = "ephemeral-storage";
}
