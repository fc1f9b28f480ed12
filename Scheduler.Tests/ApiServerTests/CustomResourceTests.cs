using System.Text.Json;
using k8s;
using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.ApiServerTests;

/// <summary>PodGroups and Topologies served from the repository's CRDs, through the client's CustomObjects API.</summary>
public class CustomResourceTests : StandInFixture
{
    private const string Group = PodGroupResource.ApiGroup;
    private const string Version = PodGroupResource.Version;

    private static PodGroupResource Typed(object body) => KubernetesJson.Deserialize<PodGroupResource>(KubernetesJson.Serialize(body));

    [Test]
    public async Task PodGroups_are_created_listed_and_watched_through_CustomObjects()
    {
        var rv = (await Client.CustomObjects.ListCustomObjectForAllNamespacesWithHttpMessagesAsync(Group, Version, "podgroups")).Body;
        var listRv = KubernetesJson.Deserialize<PodGroupList>(KubernetesJson.Serialize(rv)).Metadata.ResourceVersion;
        await using var watch = new WatchRecorder<PodGroupResource, object>(ct =>
            Client.CustomObjects.ListCustomObjectForAllNamespacesWithHttpMessagesAsync(Group, Version, "podgroups", watch: true, resourceVersion: listRv, allowWatchBookmarks: true, cancellationToken: ct));

        var created = Typed(await Client.CustomObjects.CreateNamespacedCustomObjectAsync(Objects.PodGroup("job"), Group, Version, "ml", "podgroups"));
        Assert.That(created.Metadata.Generation, Is.EqualTo(1));
        Assert.That(created.Metadata.Uid, Is.Not.Empty);

        var list = KubernetesJson.Deserialize<PodGroupList>(KubernetesJson.Serialize(await Client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, "ml", "podgroups")));
        Assert.That(list.Kind, Is.EqualTo("PodGroupList"));
        Assert.That(list.Items.Single().Kind, Is.EqualTo("PodGroup"), "custom resource list items keep apiVersion and kind");
        Assert.That(list.Items.Single().Spec!.MinMember, Is.EqualTo(2));

        var added = await watch.NextChangeAsync();
        Assert.That((added.Type, added.Object.Metadata.Name), Is.EqualTo((WatchEventType.Added, "job")));

        var duplicate = await ApiAssert.FailsAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(Objects.PodGroup("job"), Group, Version, "ml", "podgroups"));
        Assert.That(duplicate.Message, Is.EqualTo("podgroups.scheduling.quorum.dev \"job\" already exists"));
        Assert.That(duplicate.Details.Group, Is.EqualTo(Group));
    }

    [Test]
    public async Task PodGroup_status_is_only_written_through_the_status_subresource()
    {
        var group = Objects.PodGroup("job");
        group.Status = new PodGroupStatusResource { Phase = "Scheduled" };
        var created = Typed(await Client.CustomObjects.CreateNamespacedCustomObjectAsync(group, Group, Version, "ml", "podgroups"));
        Assert.That(created.Status, Is.Null, "create drops status when the status subresource is on");

        var patch = new V1Patch("""{"status":{"phase":"Scheduled","scheduled":2,"bogus":true},"spec":{"minMember":5}}""", V1Patch.PatchType.MergePatch);
        var status = Typed(await Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(patch, Group, Version, "ml", "podgroups", "job"));
        Assert.That(status.Status!.Phase, Is.EqualTo("Scheduled"));
        Assert.That(status.Spec!.MinMember, Is.EqualTo(2), "spec is not writable through /status");
        Assert.That(status.Metadata.Generation, Is.EqualTo(1), "a status write does not move generation");
        using (var raw = JsonDocument.Parse(KubernetesJson.Serialize(await Client.CustomObjects.GetNamespacedCustomObjectStatusAsync(Group, Version, "ml", "podgroups", "job"))))
            Assert.That(raw.RootElement.GetProperty("status").TryGetProperty("bogus", out _), Is.False, "fields outside the schema are pruned");

        var spec = Typed(await Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"minMember":3},"status":{"phase":"Pending"}}""", V1Patch.PatchType.MergePatch), Group, Version, "ml", "podgroups", "job"));
        Assert.That(spec.Spec!.MinMember, Is.EqualTo(3));
        Assert.That(spec.Status!.Phase, Is.EqualTo("Scheduled"), "status is not writable through the main resource");
        Assert.That(spec.Metadata.Generation, Is.EqualTo(2), "a spec change moves generation");
    }

    [Test]
    public async Task Custom_resources_refuse_strategic_merge_patch_and_unconditional_replace()
    {
        Api.Put(Objects.PodGroup("job"));
        var smp = await ApiAssert.FailsAsync(() => Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"minMember":3}}""", V1Patch.PatchType.StrategicMergePatch), Group, Version, "ml", "podgroups", "job"));
        Assert.That(smp.Code, Is.EqualTo(415));
        Assert.That(smp.Reason, Is.EqualTo("UnsupportedMediaType"));

        var replace = await ApiAssert.FailsAsync(() => Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Objects.PodGroup("job", minMember: 4), Group, Version, "ml", "podgroups", "job"));
        Assert.That(replace.Code, Is.EqualTo(422));
        Assert.That(replace.Message, Is.EqualTo("PodGroup.scheduling.quorum.dev \"job\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"));
    }

    [Test]
    public async Task The_CRD_schema_is_enforced()
    {
        var invalid = await ApiAssert.FailsAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(Objects.PodGroup("job", minMember: 0), Group, Version, "ml", "podgroups"));
        Assert.That(invalid.Code, Is.EqualTo(422));
        Assert.That(invalid.Details.Causes.Single().Field, Is.EqualTo("spec.minMember"));
        Assert.That(invalid.Message, Does.Contain("should be greater than or equal to 1"));

        var noSpec = await ApiAssert.FailsAsync(() => Client.CustomObjects.CreateClusterCustomObjectAsync(
            new TopologyResource { Metadata = new V1ObjectMeta { Name = "t" } }, Group, Version, "topologies"));
        Assert.That(noSpec.Message, Does.StartWith("Topology.scheduling.quorum.dev \"t\" is invalid: [spec: Required value, "));
        Assert.That(noSpec.Message, Does.Contain("some validation rules were not checked because the object was invalid"));
    }

    [Test]
    public async Task The_CRD_CEL_rules_are_enforced()
    {
        var both = Objects.PodGroup("job");
        both.Spec!.MinSubGroup = 1;
        var invalid = await ApiAssert.FailsAsync(() => Client.CustomObjects.CreateNamespacedCustomObjectAsync(both, Group, Version, "ml", "podgroups"));
        Assert.That(invalid.Code, Is.EqualTo(422));
        Assert.That(invalid.Message, Does.Contain("spec: Invalid value: \"object\": set minMember (pods) or minSubGroup (sub-groups), never both"));

        var hostFirst = new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = "t" },
            Spec = new TopologySpecResource { Levels = [new TopologyLevelResource { NodeLabel = "kubernetes.io/hostname" }, new TopologyLevelResource { NodeLabel = "rack" }] },
        };
        var topology = await ApiAssert.FailsAsync(() => Client.CustomObjects.CreateClusterCustomObjectAsync(hostFirst, Group, Version, "topologies"));
        Assert.That(topology.Message, Is.EqualTo("Topology.scheduling.quorum.dev \"t\" is invalid: spec.levels: Invalid value: \"array\": kubernetes.io/hostname may only be the last level"));

        // Seeding goes through the same validation.
        Assert.That(() => Api.Put(both), Throws.InvalidOperationException.With.Message.Contains("never both"));
    }

    [Test]
    public async Task Topologies_are_cluster_scoped()
    {
        var topology = new TopologyResource
        {
            Metadata = new V1ObjectMeta { Name = "default" },
            Spec = new TopologySpecResource { Levels = [new TopologyLevelResource { NodeLabel = "rack" }, new TopologyLevelResource { NodeLabel = "kubernetes.io/hostname" }] },
        };
        await Client.CustomObjects.CreateClusterCustomObjectAsync(topology, Group, Version, "topologies");
        var listed = KubernetesJson.Deserialize<TopologyList>(KubernetesJson.Serialize(await Client.CustomObjects.ListClusterCustomObjectAsync(Group, Version, "topologies")));
        Assert.That(listed.Items.Single().Metadata.NamespaceProperty, Is.Null);
        Assert.That(Api.Get<TopologyResource>("default")!.Spec!.Levels!.Count, Is.EqualTo(2));
    }
}
