using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.ApiServerTests;

/// <summary>Small builders for the objects the stand-in tests send.</summary>
internal static class Objects
{
    public static V1Node Node(string name, string gpus = "8") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kubernetes.io/hostname"] = name } },
        Status = new V1NodeStatus
        {
            Allocatable = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("64"), ["memory"] = new("512Gi"), ["nvidia.com/gpu"] = new(gpus), ["pods"] = new("110") },
        },
    };

    public static V1Pod Pod(string name, string ns = "ml", string? node = null, string scheduler = "quorum", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Spec = new V1PodSpec
        {
            SchedulerName = scheduler,
            NodeName = node,
            Containers = [new V1Container { Name = "c", Image = "registry.example/trainer:1.0", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["nvidia.com/gpu"] = new("8") } } }],
        },
    };

    public static V1Namespace Namespace(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };

    public static PodGroupResource PodGroup(string name, string ns = "ml", int minMember = 2) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Spec = new PodGroupSpecResource { MinMember = minMember },
    };

    public static V1Binding Binding(string pod, string node, string ns = "ml") => new()
    {
        Metadata = new V1ObjectMeta { Name = pod, NamespaceProperty = ns },
        Target = new V1ObjectReference { Kind = "Node", ApiVersion = "v1", Name = node },
    };
}
