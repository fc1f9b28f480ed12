namespace Quorum.Api;

/// <summary>
/// What a call asks to see, as the SubjectAccessReview resource attributes checked for the caller
/// (docs/grpc-api.md lists them per call).
/// </summary>
public sealed record AccessAttributes(string Verb, string Group, string Resource, string? Namespace, string? Name)
{
    public override string ToString()
    {
        var resource = Group.Length == 0 ? Resource : $"{Resource}.{Group}";
        var what = Name is null ? resource : $"{resource} \"{Name}\"";
        return Namespace is null ? $"{Verb} {what} at the cluster scope" : $"{Verb} {what} in namespace \"{Namespace}\"";
    }
}

/// <summary>Who is calling, as TokenReview or the client certificate said.</summary>
public sealed record ApiCaller(string User, IReadOnlyList<string> Groups, string Uid, IReadOnlyDictionary<string, IReadOnlyList<string>> Extra);
