namespace Quorum.Tests;

/// <summary>Where the repository's files are, seen from the test output folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Scheduler.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Scheduler.sln not found above the test output folder");
    }
}
