//! Type constraint expressions: `string`, `list(string)`,
//! `object({ name = string, size = optional(number, 8) })`, `tuple([...])`,
//! `set(...)`, `map(...)`, `any`, as in `variable` blocks and `convert()`.

use std::collections::BTreeMap;

use hcl::edit::expr::{Expression, ObjectKey};

use super::eval::Evaluator;
use super::value::{ObjectAttr, Type};

/// Parse a type expression. `eval` evaluates `optional()` defaults.
pub fn parse_type(expr: &Expression, eval: &mut Evaluator<'_>) -> Result<Type, String> {
    parse(expr, eval, false).map(|(t, _)| t)
}

/// Returns the type, and for `optional(T, d)` inside objects the default.
fn parse(
    expr: &Expression,
    eval: &mut Evaluator<'_>,
    in_object: bool,
) -> Result<(Type, Option<ObjectAttr>), String> {
    match expr {
        Expression::Variable(v) => Ok((
            match v.as_str() {
                "string" => Type::String,
                "number" => Type::Number,
                "bool" => Type::Bool,
                "any" => Type::Any,
                "list" | "map" | "set" => Type::Any,
                other => return Err(unknown(other)),
            },
            None,
        )),
        Expression::Parenthesis(p) => parse(p.inner(), eval, in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one = |what: &str| -> Result<&Expression, String> {
                match args.as_slice() {
                    [a] => Ok(*a),
                    _ => Err(format!("{what}(...) takes exactly one type")),
                }
            };
            let t = match name {
                "list" => Type::List(Box::new(parse_type(one("list")?, eval)?)),
                "set" => Type::Set(Box::new(parse_type(one("set")?, eval)?)),
                "map" => Type::Map(Box::new(parse_type(one("map")?, eval)?)),
                "tuple" => match one("tuple")? {
                    Expression::Array(items) => Type::Tuple(
                        items
                            .iter()
                            .map(|e| parse_type(e, eval))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => {
                        return Err(
                            "tuple(...) takes a list of types: tuple([string, number])".into()
                        )
                    }
                },
                "object" => match one("object")? {
                    Expression::Object(obj) => {
                        let mut attrs = BTreeMap::new();
                        for (k, v) in obj.iter() {
                            let key = match k {
                                ObjectKey::Ident(id) => id.as_str().to_owned(),
                                ObjectKey::Expression(Expression::String(s)) => {
                                    s.value().to_string()
                                }
                                _ => {
                                    return Err("object attribute names must be plain names".into())
                                }
                            };
                            let (ty, attr) = parse(v.expr(), eval, true)?;
                            attrs.insert(
                                key,
                                attr.unwrap_or(ObjectAttr {
                                    ty,
                                    optional: false,
                                    default: None,
                                }),
                            );
                        }
                        Type::Object(attrs)
                    }
                    _ => {
                        return Err(
                            "object(...) takes attribute types: object({ name = string })".into(),
                        )
                    }
                },
                "optional" if in_object => {
                    let (ty, default) = match args.as_slice() {
                        [t] => (parse_type(t, eval)?, None),
                        [t, d] => {
                            let ty = parse_type(t, eval)?;
                            let d = eval.eval(d).map_err(|e| e.message)?;
                            let d = ty
                                .convert(d)
                                .map_err(|e| format!("optional() default: {e}"))?;
                            (ty, Some(d))
                        }
                        _ => {
                            return Err("optional(...) takes a type and an optional default".into())
                        }
                    };
                    return Ok((
                        ty.clone(),
                        Some(ObjectAttr {
                            ty,
                            optional: true,
                            default,
                        }),
                    ));
                }
                "optional" => {
                    return Err("optional(...) is only allowed for object attributes".into())
                }
                other => return Err(unknown(other)),
            };
            Ok((t, None))
        }
        _ => Err(format!("`{}` is not a type", expr.to_string().trim())),
    }
}

fn unknown(name: &str) -> String {
    format!(
        "unknown type `{name}`; types are string, number, bool, any, list(T), set(T), map(T), object({{...}}) and tuple([...])"
    )
}
