namespace Quorum.Tests.Manifests;

/// <summary>
/// The RBAC model <see cref="RbacTests"/> relies on behaves as kube-apiserver's: request attributes as
/// its RequestInfoFactory derives them (cases from requestinfo_test.go), and the RBAC authorizer's
/// matching, scoping and deny-by-default.
/// </summary>
public class RbacAuthorizerTests
{
    [TestCase("GET", "/api/v1/pods", "", "list", "", "pods", "", "", "")]
    [TestCase("GET", "/api/v1/pods", "?watch=true&resourceVersion=5", "watch", "", "pods", "", "", "")]
    [TestCase("GET", "/api/v1/pods", "?watch=false", "list", "", "pods", "", "", "")]
    [TestCase("GET", "/api/v1/pods", "?watch=1", "watch", "", "pods", "", "", "")]
    [TestCase("GET", "/api/v1/watch/namespaces/ml/pods", "", "watch", "", "pods", "", "ml", "")]
    [TestCase("GET", "/api/v1/namespaces/ml/pods/w0", "", "get", "", "pods", "", "ml", "w0")]
    [TestCase("GET", "/api/v1/namespaces/ml/pods", "?fieldSelector=metadata.name%3Dw0", "list", "", "pods", "", "ml", "w0")]
    [TestCase("POST", "/api/v1/namespaces/ml/pods/w0/binding", "", "create", "", "pods", "binding", "ml", "w0")]
    [TestCase("PATCH", "/api/v1/namespaces/ml/pods/w0/status", "", "patch", "", "pods", "status", "ml", "w0")]
    [TestCase("DELETE", "/api/v1/namespaces/ml/pods", "", "deletecollection", "", "pods", "", "ml", "")]
    [TestCase("DELETE", "/api/v1/namespaces/ml/pods/w0", "", "delete", "", "pods", "", "ml", "w0")]
    [TestCase("GET", "/api/v1/namespaces/ml", "", "get", "", "namespaces", "", "ml", "ml")]
    [TestCase("PUT", "/api/v1/namespaces/ml/finalize", "", "update", "", "namespaces", "finalize", "ml", "ml")]
    [TestCase("POST", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases", "", "create", "coordination.k8s.io", "leases", "", "quorum-system", "")]
    [TestCase("PUT", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases/quorum", "", "update", "coordination.k8s.io", "leases", "", "quorum-system", "quorum")]
    [TestCase("PATCH", "/apis/scheduling.quorum.dev/v1alpha1/namespaces/ml/podgroups/job/status", "", "patch", "scheduling.quorum.dev", "podgroups", "status", "ml", "job")]
    [TestCase("GET", "/apis/scheduling.quorum.dev/v1alpha1/topologies", "?watch=true", "watch", "scheduling.quorum.dev", "topologies", "", "", "")]
    public void Resource_requests_resolve_as_the_API_server_resolves_them(
        string method, string path, string query, string verb, string group, string resource, string subresource, string ns, string name)
    {
        var a = RequestAttributes.Resolve(method, path, query);
        Assert.That(a.IsResourceRequest, Is.True);
        Assert.That((a.Verb, a.ApiGroup, a.Resource, a.Subresource, a.Namespace, a.Name), Is.EqualTo((verb, group, resource, subresource, ns, name)));
    }

    [TestCase("GET", "/version", "get")]
    [TestCase("GET", "/api/v1", "get")]
    [TestCase("GET", "/apis/scheduling.quorum.dev/v1alpha1", "get")]
    [TestCase("POST", "/healthz", "post")]
    public void Discovery_and_other_paths_are_non_resource_requests(string method, string path, string verb)
    {
        var a = RequestAttributes.Resolve(method, path, "");
        Assert.That((a.IsResourceRequest, a.Verb, a.Path), Is.EqualTo((false, verb, path)));
    }

    private static readonly UserInfo Scheduler = UserInfo.ServiceAccount("quorum-system", "quorum");

    private static RbacAuthorizer Authorizer(string yaml) => new(ShippedManifests.Parse(yaml));

    private const string Roles = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {name: reader}
        rules:
          - {apiGroups: [""], resources: [pods], verbs: [list, watch]}
          - {apiGroups: [""], resources: ["*/status"], verbs: [patch]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {name: reader}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
        subjects: [{kind: Group, name: "system:serviceaccounts:quorum-system"}]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: lease, namespace: quorum-system}
        rules:
          - {apiGroups: [coordination.k8s.io], resources: [leases], resourceNames: [quorum], verbs: [get, update]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: lease, namespace: quorum-system}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: lease}
        subjects: [{kind: ServiceAccount, name: quorum}]
        """;

    private static bool Allowed(string method, string path, string query = "", UserInfo? user = null) =>
        Authorizer(Roles).IsAllowed(user ?? Scheduler, RequestAttributes.Resolve(method, path, query));

    [Test]
    public void What_no_rule_allows_is_denied()
    {
        Assert.That(Allowed("GET", "/api/v1/pods"), Is.True);
        Assert.That(Allowed("GET", "/api/v1/namespaces/ml/pods/w0"), Is.False, "list does not imply get");
        Assert.That(Allowed("GET", "/api/v1/nodes"), Is.False);
        Assert.That(Allowed("GET", "/version"), Is.False, "no nonResourceURLs rule");
        Assert.That(Allowed("GET", "/api/v1/pods", user: UserInfo.ServiceAccount("other", "quorum")), Is.False, "bound by group, not by name");
    }

    [Test]
    public void A_subresource_needs_its_own_rule_or_a_star_slash_rule()
    {
        Assert.That(Allowed("PATCH", "/api/v1/namespaces/ml/pods/w0/status"), Is.True, "*/status");
        Assert.That(Allowed("PATCH", "/api/v1/namespaces/ml/pods/w0"), Is.False);
        Assert.That(Allowed("POST", "/api/v1/namespaces/ml/pods/w0/binding"), Is.False, "pods does not cover pods/binding");
    }

    [Test]
    public void A_RoleBinding_grants_only_in_its_namespace_and_resourceNames_only_those_names()
    {
        Assert.That(Allowed("PUT", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases/quorum"), Is.True, "ServiceAccount subject defaults to the binding's namespace");
        Assert.That(Allowed("PUT", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/quorum"), Is.False);
        Assert.That(Allowed("PUT", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases/kube-scheduler"), Is.False);
        Assert.That(Allowed("GET", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases"), Is.False, "a list names no object");
        Assert.That(Allowed("GET", "/apis/coordination.k8s.io/v1/namespaces/quorum-system/leases", "?fieldSelector=metadata.name%3Dquorum"), Is.False,
            "the name matches but the verb is list");
    }

    [Test]
    public void Aggregated_cluster_roles_are_refused_rather_than_guessed()
    {
        const string yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: aggregate}
            aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: y}}]}
            """;
        Assert.That(() => Authorizer(yaml), Throws.InstanceOf<NotSupportedException>());
    }
}
