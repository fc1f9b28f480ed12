using System.Text.Json.Nodes;
using k8s.Models;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// Nodes (pkg/registry/core/node): cluster-scoped, /status subresource, no generation, status kept on
/// create (the kubelet registers a node with its status), deletes answered with a Status.
/// </summary>
internal sealed class NodeStrategy : ResourceKind
{
    private static readonly IReadOnlyDictionary<string, string> Keys = new Dictionary<string, string>(ObjectMetaMergeKeys, StringComparer.Ordinal)
    {
        ["spec.podCIDRs"] = StrategicMergePatch.ScalarSet,
        ["status.conditions"] = "type",
        ["status.addresses"] = "type",
    };

    public override IReadOnlyDictionary<string, string> MergeKeys => Keys;

    public override Type ModelType => typeof(V1Node);

    public override IEnumerable<string> FieldLabels => ["metadata.name", "spec.unschedulable"];

    public override string FieldValue(JsonObject obj, string field) => field == "spec.unschedulable"
        ? JsonObjects.Bool(JsonObjects.At(obj, field)) == true ? "true" : "false"
        : base.FieldValue(obj, field);

    /// <summary>Go always writes a Node's non-pointer structs: spec, and in status daemonEndpoints and nodeInfo.</summary>
    public override void Default(JsonObject obj, ApiContext ctx)
    {
        obj["spec"] ??= new JsonObject();
        var status = obj["status"] as JsonObject ?? new JsonObject();
        obj["status"] = status;
        status["daemonEndpoints"] ??= new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = 0 } };
        var info = status["nodeInfo"] as JsonObject ?? new JsonObject();
        status["nodeInfo"] = info;
        foreach (var field in new[] { "machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture" })
            info[field] ??= "";
    }

    /// <summary>The empty Node as Go serialises it.</summary>
    public override JsonObject Bookmark(long revision)
    {
        var b = base.Bookmark(revision);
        Default(b, null!);
        return b;
    }
}
