declare module "stopword" {
  export const fra: string[];
  export const eng: string[];
}
