export function benchCheck(sizes: readonly number[], runs: number): Promise<string> {
  return Promise.resolve(`TODO ${sizes.join(",")} ${runs}`);
}
