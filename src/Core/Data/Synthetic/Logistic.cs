namespace Recurring.Core.Data.Synthetic;

internal static class Logistic
{
    public static double Sigmoid(double logit) => 1 / (1 + Math.Exp(-logit));

    public static double Logit(double probability) => Math.Log(probability / (1 - probability));
}
