// jstat ships no types; this declares only the part Hindsight uses.
declare module 'jstat' {
  interface JStatStatic {
    normal: {
      cdf(x: number, mean: number, sd: number): number;
      inv(p: number, mean: number, sd: number): number;
    };
    studentt: {
      cdf(x: number, dof: number): number;
    };
  }
  const jStat: JStatStatic;
  export default jStat;
}
